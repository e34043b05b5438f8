"""What the app shows a patron about their own past: orders, fee payments, refunds, desk receipts; prices on a date."""

from __future__ import annotations

import uuid

import pytest

from backend.desk.models import Desk
from tests.events.helpers import buy_body, key, make_world
from tests.support.factories import bearer


def _buy(client, world, patron, ticket_type, quantity=1):
    response = client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(ticket_type, quantity),
        headers={**bearer(patron), **key()},
    )
    assert response.status_code == 201, response.json
    return response.json["order"]


@pytest.fixture
def world(db, app_ctx):
    return make_world(db, capacity=10, price=1200, patrons=2)


def test_my_orders_newest_first_paged_and_only_mine(client, db, world):
    alice, bob = world.patrons
    first = _buy(client, world, alice, world.full, 2)
    second = _buy(client, world, alice, world.reduced)
    _buy(client, world, bob, world.full)
    page = client.get("/v1/events/orders?limit=1", headers=bearer(alice)).json
    assert [o["id"] for o in page["data"]] == [second["id"]] and page["has_more"] is True
    rest = client.get(f"/v1/events/orders?limit=5&starting_after={page['next_cursor']}", headers=bearer(alice)).json
    assert [o["id"] for o in rest["data"]] == [first["id"]] and rest["has_more"] is False
    assert rest["data"][0]["total"] == {"amount": 2400, "currency": "EUR"} and len(rest["data"][0]["tickets"]) == 2
    assert client.get("/v1/events/orders", headers=bearer(bob)).json["data"][0]["id"] not in (first["id"], second["id"])
    assert client.get("/v1/events/orders").status_code == 401


def test_the_occurrence_detail_lists_its_ticket_types_with_prices(client, db, world):
    detail = client.get(f"/v1/events/occurrences/{world.occurrence.public_id}").json
    assert [(t["id"], t["name"], t["price"]) for t in detail["ticket_types"]] == [
        (world.full.public_id, "Intero", {"amount": 1200, "currency": "EUR"}),
        (world.reduced.public_id, "Ridotto", {"amount": 600, "currency": "EUR"}),
    ]


def test_my_fee_payments_with_the_fees_they_settled(client, db, world):
    alice, bob = world.patrons
    fee = client.post(
        "/v1/fees",
        json={
            "patron_id": alice.public_id,
            "library_id": world.library.public_id,
            "type": "overdue",
            "amount": {"amount": 250, "currency": "EUR"},
        },
        headers={**bearer(world.librarian), **key()},
    ).json["id"]
    paid = client.post("/v1/fees/payments", json={"fee_ids": [fee]}, headers={**bearer(alice), **key()})
    assert paid.status_code == 201, paid.json
    mine = client.get("/v1/fees/payments", headers=bearer(alice)).json
    [payment] = mine["data"]
    assert payment["id"] == paid.json["id"] and payment["amount"] == {"amount": 250, "currency": "EUR"}
    assert [f["id"] for f in payment["fees"]] == [fee] and "balance" not in payment
    assert client.get("/v1/fees/payments", headers=bearer(bob)).json["data"] == []


def test_a_cash_top_up_shows_its_receipt_to_the_patron(client, db, world):
    alice, bob = world.patrons
    desk = Desk(library=world.library, name="Cassa 1")
    db.add(desk)
    db.commit()
    staff = {**bearer(world.librarian), "Idempotency-Key": str(uuid.uuid4())}
    cash_session = client.post(
        f"/v1/desk/desks/{desk.public_id}/sessions",
        json={"opening_float": {"amount": 5000, "currency": "EUR"}},
        headers=staff,
    ).json["id"]
    topup = client.post(
        f"/v1/desk/sessions/{cash_session}/topups",
        headers={**staff, **key()},
        json={"card_number": alice.card_number, "amount": {"amount": 1500, "currency": "EUR"}},
    )
    assert topup.status_code == 201, topup.json
    [latest] = client.get("/v1/wallet/transactions?limit=1", headers=bearer(alice)).json["data"]
    detail = client.get(f"/v1/wallet/transactions/{latest['id']}", headers=bearer(alice)).json
    [receipt] = [item for item in detail["paid_for"] if item["kind"] == "receipt"]
    assert receipt["description"] == f"Ricevuta n. {topup.json['receipt_number']}"
    page = client.get(f"/v1/wallet/receipts/{receipt['id']}?format=html&lang=en", headers=bearer(alice))
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert topup.json["receipt_number"] in page.get_data(as_text=True)
    pdf = client.get(f"/v1/wallet/receipts/{receipt['id']}?format=pdf", headers=bearer(alice))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/v1/wallet/receipts/{receipt['id']}", headers=bearer(bob)).status_code == 404
