"""Buying tickets with the wallet: money, seats, limits, shortfall by card, bad input."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.db import utcnow
from backend.events.models import Occurrence, Order, Ticket
from backend.events.purchase import complete_pending_orders_for
from backend.events.tickets import expire_pending_orders
from backend.ledger.models import JournalEntry
from backend.ledger.services import account_balance, house_account
from backend.money import Money
from backend.notify.models import Notification
from tests.events.helpers import assert_audit_clean, auth, balance, buy_body, counts, key, make_world
from tests.support.ledger import fund_wallet


@pytest.fixture
def world(db, app_ctx):
    return make_world(db, capacity=5, price=1200)


def buy(client, patron, occurrence, body, headers=None):
    return client.post(
        f"/v1/events/occurrences/{occurrence.public_id}/orders",
        json=body,
        headers={**auth(patron), **(headers or key())},
    )


def test_buying_debits_the_wallet_credits_the_organizer_and_issues_signed_tickets(client, db, world):
    patron = world.patrons[0]
    response = buy(
        client,
        patron,
        world.occurrence,
        {
            "items": [
                {"ticket_type": world.full.public_id, "quantity": 1},
                {"ticket_type": world.reduced.public_id, "quantity": 2},
            ]
        },
    )
    assert response.status_code == 201, response.json
    order = response.json["order"]
    assert order["status"] == "completed"
    assert order["total"] == {"amount": 1200 + 2 * 600, "currency": "EUR"}
    assert len(order["tickets"]) == 3 and all(t["qr_code"] for t in order["tickets"])
    assert balance(db, patron) == 10_000 - 2400
    income = house_account(db, "ticket_income", world.library.public_id, library=world.library)
    assert account_balance(db, income) == Money(2400)
    assert counts(db, world.occurrence)["sold"] == 3
    assert db.scalar(select(Notification.kind).where(Notification.patron_id == patron.id)) == "ticket_confirmed"
    detail = client.get(f"/v1/events/occurrences/{world.occurrence.public_id}")
    assert detail.json["available"] == 2
    assert_audit_clean(db)


def test_the_same_idempotency_key_charges_once(client, db, world):
    patron, headers = world.patrons[0], key()
    first = buy(client, patron, world.occurrence, buy_body(world.full), headers)
    again = buy(client, patron, world.occurrence, buy_body(world.full), headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["order"]["id"] == first.json["order"]["id"]
    assert balance(db, patron) == 10_000 - 1200
    assert counts(db, world.occurrence)["tickets"] == 1


def test_free_registration_moves_no_money(client, db, app_ctx):
    world = make_world(db, free=True, funds=0, patrons=1)
    response = buy(client, world.patrons[0], world.occurrence, buy_body(world.full, 2))
    assert response.status_code == 201, response.json
    assert response.json["order"]["total"]["amount"] == 0
    assert db.scalar(select(JournalEntry.id).where(JournalEntry.kind == "ticket_purchase")) is None
    assert counts(db, world.occurrence)["sold"] == 2


def test_short_wallet_is_refused_with_shortfall_and_nothing_changes(client, db, app_ctx):
    world = make_world(db, capacity=5, price=1200, funds=500, patrons=1)
    patron = world.patrons[0]
    before = counts(db, world.occurrence)
    response = buy(client, patron, world.occurrence, buy_body(world.full, 1))
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "insufficient_funds"
    assert error["shortfall"] == {"amount": 700, "currency": "EUR"}
    assert counts(db, world.occurrence) == before
    assert balance(db, patron) == 500


def test_shortfall_by_card_holds_the_seats_until_the_top_up_completes_the_order(client, db, app_ctx):
    world = make_world(db, capacity=5, price=1200, funds=500, patrons=1)
    patron = world.patrons[0]
    response = buy(client, patron, world.occurrence, buy_body(world.full, 2, pay_shortfall_by_card=True))
    assert response.status_code == 202, response.json
    assert response.json["order"]["status"] == "awaiting_payment"
    assert response.json["shortfall"] == {"amount": 1900, "currency": "EUR"}
    assert all(t["qr_code"] is None and t["status"] == "reserved" for t in response.json["order"]["tickets"])
    assert counts(db, world.occurrence)["sold"] == 2  # held while the card top-up runs
    assert balance(db, patron) == 500

    # The top-up webhook credits the wallet, then completes the orders waiting for it.
    fund_wallet(db, patron, 2000, provider_ref="pi_test")
    completed = complete_pending_orders_for(db, patron)
    db.commit()
    assert [o.public_id for o in completed] == [response.json["order"]["id"]]
    order = client.get(f"/v1/events/orders/{completed[0].public_id}", headers=auth(patron)).json
    assert order["status"] == "completed" and all(t["qr_code"] for t in order["tickets"])
    assert balance(db, patron) == 2500 - 2400
    assert_audit_clean(db)


def test_an_unpaid_order_releases_its_seats_when_it_expires(client, db, app_ctx):
    world = make_world(db, capacity=2, price=1200, funds=0, patrons=2)
    patron = world.patrons[0]
    assert buy(client, patron, world.occurrence, buy_body(world.full, 2, pay_shortfall_by_card=True)).status_code == 202
    sold_out = buy(client, world.patrons[1], world.occurrence, buy_body(world.full, 1))
    assert sold_out.status_code == 409 and sold_out.json["error"]["code"] == "sold_out"
    db.execute(update(Order).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert expire_pending_orders(db) == 1
    db.commit()
    assert counts(db, world.occurrence)["sold"] == 0
    assert {t.status for t in db.scalars(select(Ticket))} == {"void"}
    # Money arriving later does not resurrect the expired order.
    fund_wallet(db, patron, 5000)
    assert complete_pending_orders_for(db, patron) == []
    db.commit()
    assert balance(db, patron) == 5000


def test_the_per_patron_limit_counts_earlier_orders(client, db, world):
    patron = world.patrons[0]
    assert buy(client, patron, world.occurrence, buy_body(world.full, 3)).status_code == 201
    refused = buy(client, patron, world.occurrence, buy_body(world.reduced, 2))
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "ticket_limit_reached"
    assert refused.json["error"]["limit"] == 4 and refused.json["error"]["held"] == 3
    assert balance(db, patron) == 10_000 - 3600


def test_per_type_capacity_is_enforced(client, db, world):
    world.reduced.capacity = 1
    db.commit()
    assert buy(client, world.patrons[0], world.occurrence, buy_body(world.reduced, 1)).status_code == 201
    refused = buy(client, world.patrons[1], world.occurrence, buy_body(world.reduced, 1))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "ticket_type_sold_out"
    assert counts(db, world.occurrence)["sold"] == 1
    assert balance(db, world.patrons[1]) == 10_000


@pytest.mark.parametrize(
    "items, status, code",
    [
        ([{"ticket_type": "X", "quantity": 0}], 400, "validation_error"),
        ([{"ticket_type": "X", "quantity": 10_000}], 400, "validation_error"),
        ([{"ticket_type": "X", "quantity": 1.5}], 400, "validation_error"),
        ([{"ticket_type": "X", "quantity": "2"}], 400, "validation_error"),
        ([], 400, "validation_error"),
        ([{"ticket_type": "tty_unknown", "quantity": 1}], 400, "unknown_ticket_type"),
    ],
)
def test_bad_quantities_and_types_are_refused_and_change_nothing(client, db, world, items, status, code):
    items = [dict(i, ticket_type=world.full.public_id) if i["ticket_type"] == "X" else i for i in items]
    before = counts(db, world.occurrence)
    response = buy(client, world.patrons[0], world.occurrence, {"items": items})
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert counts(db, world.occurrence) == before
    assert balance(db, world.patrons[0]) == 10_000


def test_a_past_occurrence_is_not_on_sale(client, db, world):
    db.execute(update(Occurrence).values(starts_at=utcnow() - timedelta(hours=1)))
    db.commit()
    before = counts(db, world.occurrence)
    response = buy(client, world.patrons[0], world.occurrence, buy_body(world.full))
    assert response.status_code == 422 and response.json["error"]["code"] == "sales_closed"
    assert counts(db, world.occurrence) == before


def test_a_draft_event_cannot_be_bought_or_seen(client, db, world):
    world.event.status = "draft"
    db.commit()
    assert buy(client, world.patrons[0], world.occurrence, buy_body(world.full)).status_code == 404
    assert client.get(f"/v1/events/{world.event.public_id}").status_code == 404


def test_purchase_needs_an_idempotency_key_and_a_patron(client, db, world):
    url = f"/v1/events/occurrences/{world.occurrence.public_id}/orders"
    no_key = client.post(url, json=buy_body(world.full), headers=auth(world.patrons[0]))
    assert no_key.status_code == 400 and no_key.json["error"]["code"] == "idempotency_key_missing"
    staff = client.post(url, json=buy_body(world.full), headers={**auth(world.librarian), **key()})
    assert staff.status_code == 403
    assert counts(db, world.occurrence)["tickets"] == 0


def test_someone_elses_order_is_404(client, db, world):
    order = buy(client, world.patrons[0], world.occurrence, buy_body(world.full)).json["order"]
    assert client.get(f"/v1/events/orders/{order['id']}", headers=auth(world.patrons[1])).status_code == 404


def test_the_last_seats_going_after_the_response_is_stored_refuse_and_charge_nothing(client, db, app, world):
    """The seats are the purchase's last statement, after its response is stored: losing them
    there (another buyer's commit in between) answers sold out, keeps the refusal for replay,
    and leaves no order, ticket or charge behind."""
    from sqlalchemy import event

    engine = app.extensions["borsellino.db"].engine
    patron = world.patrons[0]
    seen = []

    def others_take_the_rest(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE OCCURRENCES") and not seen:
            seen.append(True)  # in this transaction, just before the guarded update: the date fills up
            cursor.execute("UPDATE occurrences SET sold = capacity")

    headers = key()
    event.listen(engine, "before_cursor_execute", others_take_the_rest)
    try:
        response = buy(client, patron, world.occurrence, buy_body(world.full), headers)
    finally:
        event.remove(engine, "before_cursor_execute", others_take_the_rest)
    assert seen and response.status_code == 409, response.json
    assert response.json["error"]["code"] == "sold_out"
    assert balance(db, patron) == 10_000
    assert counts(db, world.occurrence)["sold"] == 0  # the rollback took the other change with it
    assert db.scalar(select(func.count()).select_from(Order)) == 0
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0
    replay = buy(client, patron, world.occurrence, buy_body(world.full), headers)
    assert replay.status_code == 409 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == response.json
    assert_audit_clean(db)
