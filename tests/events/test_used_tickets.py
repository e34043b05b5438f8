"""A ticket used at the door is never cancelled or refunded, by the patron or by the organizer."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.db import utcnow
from backend.events.models import TICKET_TRANSITIONS, Occurrence, Ticket, TicketState
from backend.ledger.models import JournalEntry
from tests.events.helpers import assert_audit_clean, auth, balance, buy_body, counts, key, make_world


@pytest.fixture
def world(db, app_ctx):
    # No cut-off: the patron could cancel up to the start, so only the check-in refuses.
    return make_world(db, capacity=3, price=1000, patrons=2, cancel_cutoff_hours=0)


def buy(client, patron, world, quantity=1):
    response = client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(world.full, quantity),
        headers={**auth(patron), **key()},
    )
    assert response.status_code == 201, response.json
    return response.json["order"]["tickets"]


def check_in(client, world, ticket):
    response = client.post(
        "/v1/events/checkins", json={"code": ticket["qr_code"], "gate": "Ingresso A"}, headers=auth(world.librarian)
    )
    assert response.status_code == 201, response.json
    return response


def door(client, world):
    return client.get(
        f"/v1/events/manage/occurrences/{world.occurrence.public_id}/door", headers=auth(world.librarian)
    ).json


def refunds(db) -> int:
    found = db.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "ticket_refund"))
    db.commit()
    return found


def status_of(db, ticket) -> str:
    db.expire_all()
    found = db.scalar(select(Ticket.status).where(Ticket.public_id == ticket["id"]))
    db.commit()
    return found


def test_a_checked_in_ticket_cannot_be_cancelled_and_nothing_changes(client, db, world):
    patron = world.patrons[0]
    [ticket] = buy(client, patron, world)
    check_in(client, world, ticket)
    before = counts(db, world.occurrence)

    response = client.post(f"/v1/events/tickets/{ticket['id']}/cancel", headers={**auth(patron), **key()})

    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "ticket_used" and error["type"] == "invalid_request_error"
    assert "usato all'ingresso" in error["message"]
    assert balance(db, patron) == 10_000 - 1000
    assert counts(db, world.occurrence) == before
    assert status_of(db, ticket) == "used" and refunds(db) == 0
    assert door(client, world)["checked_in"] == 1 and door(client, world)["sold"] == 1
    mine = client.get(f"/v1/events/tickets/{ticket['id']}", headers=auth(patron)).json
    assert mine["status"] == "used" and mine["qr_code"] is None
    assert_audit_clean(db)


def test_the_english_refusal_says_when_the_ticket_was_used(client, db, world):
    patron = world.patrons[0]
    [ticket] = buy(client, patron, world)
    check_in(client, world, ticket)
    response = client.post(
        f"/v1/events/tickets/{ticket['id']}/cancel", headers={**auth(patron), **key(), "Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.json["error"]["message"].startswith("This ticket was used at the door on ")


def test_a_used_ticket_gets_no_new_qr(client, db, world):
    patron = world.patrons[0]
    [ticket] = buy(client, patron, world)
    check_in(client, world, ticket)
    response = client.post(f"/v1/events/tickets/{ticket['id']}/reissue", headers=auth(patron))
    assert response.status_code == 422 and response.json["error"]["code"] == "ticket_used"
    assert status_of(db, ticket) == "used"


def test_a_used_ticket_scanned_again_says_when_and_where(client, db, world):
    [ticket] = buy(client, world.patrons[0], world)
    check_in(client, world, ticket)
    again = client.post(
        "/v1/events/checkins", json={"code": ticket["qr_code"], "gate": "Ingresso B"}, headers=auth(world.librarian)
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "already_checked_in"
    assert again.json["error"]["gate"] == "Ingresso A"


def test_a_cancelled_ticket_does_not_get_in(client, db, world):
    patron = world.patrons[0]
    [ticket] = buy(client, patron, world)
    assert (
        client.post(f"/v1/events/tickets/{ticket['id']}/cancel", headers={**auth(patron), **key()}).status_code == 200
    )
    response = client.post(
        "/v1/events/checkins", json={"code": ticket["qr_code"], "gate": "A"}, headers=auth(world.librarian)
    )
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_ticket_code"
    assert door(client, world)["checked_in"] == 0


def test_a_date_that_has_started_cannot_be_cancelled_nor_its_tickets_refunded(client, db, world):
    patron = world.patrons[0]
    tickets = buy(client, patron, world, quantity=2)
    check_in(client, world, tickets[0])
    db.execute(
        update(Occurrence)
        .where(Occurrence.id == world.occurrence.id)
        .values(starts_at=utcnow() - timedelta(minutes=10))
    )
    db.commit()
    before = counts(db, world.occurrence)

    response = client.post(
        f"/v1/events/manage/occurrences/{world.occurrence.public_id}/cancel", headers={**auth(world.librarian), **key()}
    )

    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "occurrence_started"
    assert balance(db, patron) == 10_000 - 2000
    assert counts(db, world.occurrence) == before
    assert [status_of(db, t) for t in tickets] == ["used", "valid"] and refunds(db) == 0
    db.expire_all()
    assert db.scalar(select(Occurrence.status).where(Occurrence.id == world.occurrence.id)) == "scheduled"
    db.commit()


def test_cancelling_a_date_before_it_starts_refunds_only_the_unused_tickets(client, db, world):
    # Doors open early: one ticket is already used when the organizer cancels.
    patron = world.patrons[0]
    tickets = buy(client, patron, world, quantity=2)
    check_in(client, world, tickets[0])

    response = client.post(
        f"/v1/events/manage/occurrences/{world.occurrence.public_id}/cancel", headers={**auth(world.librarian), **key()}
    )

    assert response.status_code == 200, response.json
    assert response.json == {"tickets_refunded": 1, "tickets_used": 1, "patrons_notified": 1}
    assert balance(db, patron) == 10_000 - 1000
    assert [status_of(db, t) for t in tickets] == ["used", "cancelled"]
    assert door(client, world)["checked_in"] == 1 and door(client, world)["sold"] == 1
    assert_audit_clean(db)


def test_cancelling_an_event_leaves_its_dates_that_already_started(client, db, world):
    patron = world.patrons[0]
    [ticket] = buy(client, patron, world)
    check_in(client, world, ticket)
    later = Occurrence(
        event_id=world.event.id, starts_at=utcnow() + timedelta(days=14), capacity=5, sold=0, status="scheduled"
    )
    db.add(later)
    db.execute(
        update(Occurrence)
        .where(Occurrence.id == world.occurrence.id)
        .values(starts_at=utcnow() - timedelta(minutes=10))
    )
    db.commit()
    response = client.post(
        f"/v1/events/manage/{world.event.public_id}/cancel", headers={**auth(world.librarian), **key()}
    )
    assert response.status_code == 200, response.json
    assert response.json["tickets_refunded"] == 0
    db.expire_all()
    assert db.get(Occurrence, world.occurrence.id).status == "scheduled"
    assert db.get(Occurrence, later.id).status == "cancelled"
    db.commit()
    assert status_of(db, ticket) == "used" and balance(db, patron) == 9000


def test_the_table_has_no_way_out_of_used():
    assert not TICKET_TRANSITIONS.allows(TicketState.USED, TicketState.CANCELLED)
    assert TICKET_TRANSITIONS.is_final(TicketState.USED)
    assert TICKET_TRANSITIONS.sources_of(TicketState.CANCELLED) == (TicketState.VALID,)
