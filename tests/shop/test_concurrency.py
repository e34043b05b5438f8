"""Never oversold, never double-booked, never paid twice: real threads on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from backend.db import utcnow
from backend.i18n import ROME
from backend.shop.models import RoomSlot, ShopOrder
from tests.shop.helpers import assert_audit_clean, balance, make_item, make_room, make_world, stock_of
from tests.support.factories import bearer, make_patron
from tests.support.ledger import fund_wallet
from tests.support.threads import race

pytestmark = pytest.mark.postgres_only


def test_the_last_pieces_are_sold_once_to_many_buyers_at_the_same_moment(app, db, app_ctx):
    world = make_world(db, funds=5000)
    buyers = [make_patron(db, world.network, world.library) for _ in range(6)]
    for buyer in buyers:
        fund_wallet(db, buyer, 5000)
    book = make_item(db, world.library, price=300, stock=3, category="used_books", name="Il Gattopardo")
    db.commit()
    lines = [{"item_id": book.public_id, "quantity": 1}]
    headers = [bearer(buyer) for buyer in buyers]
    results = race(
        app,
        [
            lambda c, b=b, h=h: c.post(
                "/v1/shop/orders",
                headers={**h, "Idempotency-Key": f"k-{b.public_id}"},
                json={"library_id": world.library.public_id, "lines": lines},
            )
            for b, h in zip(buyers, headers)
        ],
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 3 + [409] * 3, [r.get_json() for r in results]
    assert stock_of(db, book) == 0
    db.rollback()
    assert db.scalar(select(func.count()).select_from(ShopOrder)) == 3
    paid = [balance(db, buyer) for buyer in buyers]
    assert sorted(paid) == [4700] * 3 + [5000] * 3
    assert_audit_clean(db)


def test_one_patron_on_several_devices_cannot_overspend(app, db, app_ctx):
    world = make_world(db, funds=1000)
    patron = world.patrons[0]
    pen = make_item(db, world.library, price=400, name="Penna")
    auth = bearer(patron)
    body = {"library_id": world.library.public_id, "lines": [{"item_id": pen.public_id, "quantity": 1}]}
    results = race(
        app,
        [
            lambda c, n=n: c.post("/v1/shop/orders", headers={**auth, "Idempotency-Key": f"device-{n}"}, json=body)
            for n in range(5)
        ],
    )
    assert sorted(r.status_code for r in results) == [201, 201, 422, 422, 422]
    assert balance(db, patron) == 200
    assert_audit_clean(db)


def test_two_patrons_booking_the_same_hour_at_once_get_it_once(app, db, app_ctx):
    world = make_world(db, funds=5000)
    patrons = [make_patron(db, world.network, world.library) for _ in range(6)]
    for patron in patrons:
        fund_wallet(db, patron, 5000)
    room = make_room(db, world.library, price=1000, hours=((0, "09:00", "19:00"),))
    day = (utcnow().astimezone(ROME) + timedelta(days=5)).date()
    # overlapping spans: 10-12 and 11-13 share 11:00
    spans = [(10, 12), (11, 13)] * 3
    body = [
        {
            "starts_at": datetime.combine(day, time(a), tzinfo=ROME).isoformat(),
            "ends_at": datetime.combine(day, time(b), tzinfo=ROME).isoformat(),
        }
        for a, b in spans
    ]
    headers = [{**bearer(p), "Idempotency-Key": f"room-{p.public_id}"} for p in patrons]
    results = race(
        app,
        [
            lambda c, h=h, b=b: c.post(f"/v1/shop/rooms/{room.public_id}/bookings", headers=h, json=b)
            for h, b in zip(headers, body)
        ],
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * 5, [r.get_json() for r in results]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(RoomSlot)) == 2
    assert sorted(balance(db, p) for p in patrons) == [3000] + [5000] * 5
    assert_audit_clean(db)


def test_printing_credit_used_at_two_desks_at_once_never_goes_below_zero(app, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    credit = make_item(db, world.library, price=500, category="printing", name="Credito stampa")
    db.commit()
    with app.test_client() as c:
        bought = c.post(
            "/v1/shop/orders",
            headers={**bearer(patron), "Idempotency-Key": "buy"},
            json={"library_id": world.library.public_id, "lines": [{"item_id": credit.public_id, "quantity": 1}]},
        )
        assert bought.status_code == 201
    auth = bearer(world.librarian)
    body = {
        "library_id": world.library.public_id,
        "card_number": patron.card_number,
        "amount": {"amount": 200, "currency": "EUR"},
    }
    results = race(
        app,
        [
            lambda c, n=n: c.post(
                "/v1/shop/manage/printing-uses", headers={**auth, "Idempotency-Key": f"use-{n}"}, json=body
            )
            for n in range(5)
        ],
    )
    assert sorted(r.status_code for r in results) == [201, 201, 422, 422, 422]
    assert_audit_clean(db)
