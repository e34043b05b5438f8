"""Rooms by the hour within opening hours: booked once, paid from the wallet, refunded until the cut-off."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from backend.db import utcnow
from backend.i18n import ROME
from backend.shop.models import RoomBooking, RoomSlot, ShopOrder
from tests.shop.helpers import assert_audit_clean, balance, key, make_room, make_world
from tests.support.factories import bearer


def _at(days: int, hour: int) -> datetime:
    """``hour`` o'clock (Europe/Rome) ``days`` from today."""
    day = (utcnow().astimezone(ROME) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour), tzinfo=ROME)


def _book(client, patron, room, starts_at, ends_at):
    return client.post(
        f"/v1/shop/rooms/{room.public_id}/bookings",
        headers={**bearer(patron), **key()},
        json={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )


def _counts(db):
    db.rollback()
    return tuple(db.scalar(select(func.count()).select_from(m)) for m in (RoomBooking, RoomSlot, ShopOrder))


def test_a_room_is_booked_by_the_hour_and_paid_from_the_wallet(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    room = make_room(db, world.library, price=1500, hours=((0, "09:00", "19:00"),))
    booked = _book(client, patron, room, _at(3, 10), _at(3, 12))
    assert booked.status_code == 201, booked.get_json()
    booking = booked.get_json()
    assert booking["hours"] == 2 and booking["state"] == "booked" and booking["starts_at"].endswith("Z")
    assert balance(db, patron) == 2000
    order = client.get(f"/v1/shop/orders/{booking['order_id']}", headers=bearer(patron)).get_json()
    assert order["total"]["amount"] == 3000 and order["lines"][0]["category"] == "room"
    day = _at(3, 0).date().isoformat()
    hours = client.get(f"/v1/shop/rooms/{room.public_id}/availability?date={day}", headers=bearer(patron)).get_json()
    assert len(hours) == 10
    assert [h["free"] for h in hours][:4] == [True, False, False, True]
    desk = client.get(
        f"/v1/shop/manage/libraries/{world.library.public_id}/bookings?date={day}", headers=bearer(world.librarian)
    ).get_json()
    assert [b["id"] for b in desk] == [booking["id"]]
    assert_audit_clean(db)


def test_an_hour_already_taken_is_a_409_and_nothing_is_charged(client, db, app_ctx):
    world = make_world(db, funds=5000)
    room = make_room(db, world.library, hours=((0, "09:00", "19:00"),))
    assert _book(client, world.patrons[0], room, _at(3, 10), _at(3, 12)).status_code == 201
    before = _counts(db)
    overlapping = _book(client, world.patrons[1], room, _at(3, 11), _at(3, 13))
    assert overlapping.status_code == 409 and overlapping.get_json()["error"]["code"] == "room_taken"
    assert balance(db, world.patrons[1]) == 5000 and _counts(db) == before
    # the hour after is free
    assert _book(client, world.patrons[1], room, _at(3, 12), _at(3, 13)).status_code == 201


def test_bad_bookings_are_4xx_and_change_nothing(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    room = make_room(db, world.library, hours=((0, "09:00", "13:00"),))
    cases = [
        (_at(3, 8), _at(3, 10), 422, "room_outside_opening_hours"),
        (_at(3, 12), _at(3, 14), 422, "room_outside_opening_hours"),
        (_at(3, 10) + timedelta(minutes=30), _at(3, 12), 400, "room_booking_not_on_the_hour"),
        (_at(3, 11), _at(3, 10), 400, "room_booking_not_on_the_hour"),
        (_at(-2, 10), _at(-2, 11), 422, "room_booking_in_the_past"),
    ]
    for starts_at, ends_at, status, code in cases:
        response = _book(client, patron, room, starts_at, ends_at)
        assert response.status_code == status, (starts_at, response.get_json())
        assert response.get_json()["error"]["code"] == code
    no_offset = client.post(
        f"/v1/shop/rooms/{room.public_id}/bookings",
        headers={**bearer(patron), **key()},
        json={"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T11:00:00"},
    )
    assert no_offset.status_code == 400
    unknown = client.post(
        "/v1/shop/rooms/room_unknown/bookings",
        headers={**bearer(patron), **key()},
        json={"starts_at": _at(3, 10).isoformat(), "ends_at": _at(3, 11).isoformat()},
    )
    assert unknown.status_code == 404
    assert balance(db, patron) == 5000 and _counts(db) == (0, 0, 0)


def test_cancelling_before_the_cutoff_refunds_and_frees_the_hours(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    room = make_room(db, world.library, price=1000, cutoff=24, hours=((0, "09:00", "19:00"),))
    booking = _book(client, patron, room, _at(3, 10), _at(3, 11)).get_json()
    other = client.post(f"/v1/shop/bookings/{booking['id']}/cancel", headers={**bearer(world.patrons[1]), **key()})
    assert other.status_code == 404
    cancelled = client.post(f"/v1/shop/bookings/{booking['id']}/cancel", headers={**bearer(patron), **key()})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["state"] == "cancelled" and cancelled.get_json()["refunded"] is True
    assert balance(db, patron) == 5000
    again = client.post(f"/v1/shop/bookings/{booking['id']}/cancel", headers={**bearer(patron), **key()})
    assert again.status_code == 409 and balance(db, patron) == 5000
    # the hour can be booked again
    assert _book(client, world.patrons[1], room, _at(3, 10), _at(3, 11)).status_code == 201
    assert_audit_clean(db)


def test_after_the_cutoff_the_booking_stands(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    room = make_room(db, world.library, price=1000, cutoff=72, hours=((0, "09:00", "19:00"),))
    booking = _book(client, patron, room, _at(1, 10), _at(1, 11)).get_json()
    response = client.post(f"/v1/shop/bookings/{booking['id']}/cancel", headers={**bearer(patron), **key()})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "cancellation_cutoff_passed"
    assert response.get_json()["error"]["cutoff"].endswith("Z")
    assert balance(db, patron) == 4000
    db.rollback()
    assert db.scalar(select(RoomBooking.state)) == "booked"
