"""Tickets after the sale: refunds, organizer cancellations, QR codes, door check-in, waiting list."""

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.db import utcnow
from backend.events.models import Occurrence, Ticket, WaitlistEntry
from backend.events.waitlist import expire_offers
from backend.ledger.models import JournalEntry
from backend.notify.models import Notification
from tests.events.helpers import assert_audit_clean, auth, balance, buy_body, counts, key, make_world


@pytest.fixture
def world(db, app_ctx):
    return make_world(db, capacity=3, price=1000, patrons=3)


def buy(client, patron, world, ticket_type=None, quantity=1):
    response = client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(ticket_type or world.full, quantity),
        headers={**auth(patron), **key()},
    )
    assert response.status_code == 201, response.json
    return response.json["order"]


def scan(client, staff, code, gate="Ingresso A"):
    return client.post("/v1/events/checkins", json={"code": code, "gate": gate}, headers=auth(staff))


# --- refunds -----------------------------------------------------------------------------------------


def test_cancelling_a_ticket_refunds_it_to_the_wallet_and_frees_the_seat(client, db, world):
    patron = world.patrons[0]
    order = buy(client, patron, world, quantity=2)
    ticket = order["tickets"][0]
    response = client.post(f"/v1/events/tickets/{ticket['id']}/cancel", headers={**auth(patron), **key()})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled" and response.json["qr_code"] is None
    assert balance(db, patron) == 10_000 - 1000
    assert counts(db, world.occurrence)["sold"] == 1
    refund = db.scalar(select(JournalEntry).where(JournalEntry.kind == "ticket_refund"))
    assert refund.refunds_id is not None
    again = client.post(f"/v1/events/tickets/{ticket['id']}/cancel", headers={**auth(patron), **key()})
    assert again.status_code == 409
    assert balance(db, patron) == 10_000 - 1000
    assert_audit_clean(db)


def test_no_cancellation_after_the_cut_off(client, db, world):
    patron = world.patrons[0]
    ticket = buy(client, patron, world)["tickets"][0]
    db.execute(update(Occurrence).values(starts_at=utcnow() + timedelta(hours=3)))
    db.commit()
    response = client.post(f"/v1/events/tickets/{ticket['id']}/cancel", headers={**auth(patron), **key()})
    assert response.status_code == 422 and response.json["error"]["code"] == "cancellation_closed"
    assert balance(db, patron) == 9000
    assert counts(db, world.occurrence)["sold"] == 1


def test_another_patrons_ticket_is_404_for_every_action(client, db, world):
    ticket = buy(client, world.patrons[0], world)["tickets"][0]
    intruder = auth(world.patrons[1])
    assert client.get(f"/v1/events/tickets/{ticket['id']}", headers=intruder).status_code == 404
    assert client.post(f"/v1/events/tickets/{ticket['id']}/cancel", headers={**intruder, **key()}).status_code == 404
    assert client.post(f"/v1/events/tickets/{ticket['id']}/reissue", headers=intruder).status_code == 404
    assert balance(db, world.patrons[0]) == 9000
    mine = client.get("/v1/events/tickets", headers=intruder).json
    assert mine["data"] == []


def test_the_organizer_cancels_a_date_every_holder_refunded_and_notified(client, db, world):
    buy(client, world.patrons[0], world, quantity=2)
    buy(client, world.patrons[1], world, ticket_type=world.reduced)
    response = client.post(
        f"/v1/events/manage/occurrences/{world.occurrence.public_id}/cancel", headers={**auth(world.librarian), **key()}
    )
    assert response.status_code == 200, response.json
    assert response.json == {"tickets_refunded": 3, "tickets_used": 0, "patrons_notified": 2}
    assert balance(db, world.patrons[0]) == 10_000 and balance(db, world.patrons[1]) == 10_000
    assert {t.status for t in db.scalars(select(Ticket))} == {"cancelled"}
    notes = db.scalars(select(Notification).where(Notification.kind == "occurrence_cancelled")).all()
    assert sorted(n.data["refund"]["amount"] for n in notes) == [500, 2000]
    db.commit()
    assert_audit_clean(db)
    # The date is gone from the app, and cannot be sold.
    listed = client.get("/v1/events/occurrences").json["data"]
    assert world.occurrence.public_id not in [o["id"] for o in listed]


def test_another_librarys_librarian_cannot_cancel(client, db, world):
    from tests.support.factories import make_library, make_staff

    other = make_staff(db, "librarian", world.network, libraries=[make_library(db, world.network)])
    db.commit()
    buy(client, world.patrons[0], world)
    response = client.post(
        f"/v1/events/manage/occurrences/{world.occurrence.public_id}/cancel", headers={**auth(other), **key()}
    )
    assert response.status_code == 404
    assert balance(db, world.patrons[0]) == 9000


# --- QR codes ------------------------------------------------------------------------------------


def _tamper(code: str) -> str:
    header, payload, signature = code.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["tkt"] = "tkt_000000000000000000000000"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_the_qr_verifies_offline_with_the_published_key(client, db, world):
    import jwt

    code = buy(client, world.patrons[0], world)["tickets"][0]["qr_code"]
    jwk = client.get("/v1/events/keys").json["keys"][0]
    key_obj = jwt.PyJWK(jwk)
    claims = jwt.decode(code, key_obj.key, algorithms=["EdDSA"], audience="door")
    assert claims["occ"] == world.occurrence.public_id and claims["v"] == 1
    assert jwt.get_unverified_header(code)["kid"] == jwk["kid"]


def test_a_tampered_qr_is_refused_and_checks_nobody_in(client, db, world):
    code = buy(client, world.patrons[0], world)["tickets"][0]["qr_code"]
    response = scan(client, world.librarian, _tamper(code))
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_ticket_code"
    door = client.get(f"/v1/events/manage/occurrences/{world.occurrence.public_id}/door", headers=auth(world.librarian))
    assert door.json["checked_in"] == 0


def test_a_reissued_ticket_makes_the_old_qr_worthless(client, db, world):
    patron = world.patrons[0]
    ticket = buy(client, patron, world)["tickets"][0]
    new = client.post(f"/v1/events/tickets/{ticket['id']}/reissue", headers=auth(patron)).json
    assert new["version"] == 2 and new["qr_code"] != ticket["qr_code"]
    old = scan(client, world.librarian, ticket["qr_code"])
    assert old.status_code == 422 and old.json["error"]["reason"] == "superseded"
    assert scan(client, world.librarian, new["qr_code"]).status_code == 201


# --- door ------------------------------------------------------------------------------------------


def test_a_ticket_gets_in_once_the_second_scan_says_when_and_where(client, db, world):
    code = buy(client, world.patrons[0], world)["tickets"][0]["qr_code"]
    first = scan(client, world.librarian, code, gate="Ingresso A")
    assert first.status_code == 201 and first.json["outcome"] == "accepted"
    second = scan(client, world.librarian, code, gate="Ingresso B")
    assert second.status_code == 409
    assert second.json["error"]["code"] == "already_checked_in"
    assert second.json["error"]["gate"] == "Ingresso A" and second.json["error"]["first_used_at"]
    door = client.get(f"/v1/events/manage/occurrences/{world.occurrence.public_id}/door", headers=auth(world.librarian))
    assert door.json == {"occurrence": world.occurrence.public_id, "checked_in": 1, "sold": 1, "capacity": 3}


def test_staff_of_another_library_cannot_check_in(client, db, world):
    from tests.support.factories import make_library, make_staff

    other = make_staff(db, "librarian", world.network, libraries=[make_library(db, world.network)])
    db.commit()
    code = buy(client, world.patrons[0], world)["tickets"][0]["qr_code"]
    assert scan(client, other, code).status_code == 422
    assert scan(client, world.librarian, code).status_code == 201


def test_offline_batches_are_deduplicated_and_conflicts_reported(client, db, world):
    codes = [t["qr_code"] for t in buy(client, world.patrons[0], world, quantity=2)["tickets"]]
    when = (utcnow() - timedelta(minutes=5)).isoformat()
    batch = {
        "scans": [
            {"scan_id": "dev1-1", "code": codes[0], "gate": "Porta 1", "scanned_at": when},
            {"scan_id": "dev1-2", "code": codes[1], "gate": "Porta 1", "scanned_at": when},
            {"scan_id": "dev1-3", "code": _tamper(codes[0]), "gate": "Porta 1", "scanned_at": when},
        ]
    }
    first = client.post("/v1/events/checkins/batch", json=batch, headers=auth(world.librarian))
    assert first.status_code == 200, first.json
    assert [r["outcome"] for r in first.json["results"]] == ["accepted", "accepted", "invalid"]
    # The same batch again (a retry) changes nothing; another device's scan of a used ticket conflicts.
    again = client.post(
        "/v1/events/checkins/batch",
        json={
            "scans": batch["scans"][:2]
            + [{"scan_id": "dev2-1", "code": codes[0], "gate": "Porta 2", "scanned_at": when}]
        },
        headers=auth(world.librarian),
    )
    outcomes = [(r["scan_id"], r["outcome"]) for r in again.json["results"]]
    assert outcomes == [
        ("dev1-1", "already_uploaded"),
        ("dev1-2", "already_uploaded"),
        ("dev2-1", "already_checked_in"),
    ]
    assert again.json["results"][2]["gate"] == "Porta 1"
    assert again.json["accepted"] == 0 and again.json["conflicts"] == 1
    door = client.get(f"/v1/events/manage/occurrences/{world.occurrence.public_id}/door", headers=auth(world.librarian))
    assert door.json["checked_in"] == 2


# --- waiting list ------------------------------------------------------------------------------------


def test_waitlist_offer_is_made_when_a_seat_frees_and_passes_on_when_unused(client, db, world):
    first_buyer, waiting1, waiting2 = world.patrons
    tickets = buy(client, first_buyer, world, quantity=3)["tickets"]
    early = client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/waitlist",
        json={"ticket_type": world.full.public_id, "quantity": 1},
        headers=auth(waiting1),
    )
    assert early.status_code == 201, early.json
    late = client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/waitlist",
        json={"ticket_type": world.full.public_id, "quantity": 1},
        headers=auth(waiting2),
    )
    assert late.status_code == 201
    # A seat frees up: it is offered to the first in line, not put back on sale.
    client.post(f"/v1/events/tickets/{tickets[0]['id']}/cancel", headers={**auth(first_buyer), **key()})
    mine = client.get("/v1/events/waitlist", headers=auth(waiting1)).json
    assert mine[0]["status"] == "offered"
    assert client.get(f"/v1/events/occurrences/{world.occurrence.public_id}").json["available"] == 0
    # Unused, the offer expires and passes to the next in line.
    db.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.status == "offered")
        .values(offer_expires_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    assert expire_offers(db) == 1
    db.commit()
    assert client.get("/v1/events/waitlist", headers=auth(waiting1)).json == []
    offered = client.get("/v1/events/waitlist", headers=auth(waiting2)).json[0]
    assert offered["status"] == "offered"
    accepted = client.post(f"/v1/events/waitlist/{offered['id']}/accept", headers={**auth(waiting2), **key()})
    assert accepted.status_code == 201, accepted.json
    assert balance(db, waiting2) == 9000 and balance(db, waiting1) == 10_000
    assert counts(db, world.occurrence)["sold"] == 3
    kinds = db.scalars(select(Notification.kind).where(Notification.patron_id == waiting1.id)).all()
    assert kinds == ["waitlist_offer"]
    assert_audit_clean(db)


def test_joining_the_waitlist_while_seats_remain_is_refused(client, db, world):
    response = client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/waitlist",
        json={"ticket_type": world.full.public_id, "quantity": 1},
        headers=auth(world.patrons[0]),
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "seats_available"
    assert db.scalar(select(WaitlistEntry.id)) is None
