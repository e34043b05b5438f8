"""The shop's console pages: ring up a sale, prepare orders, manage items, all within the librarian's scope."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from backend.db import utcnow
from backend.desk.models import CashSession, CashSessionState, Desk
from backend.i18n import ROME
from backend.shop.models import Room, ShopItem, ShopOrder
from tests.shop.helpers import assert_audit_clean, balance, checkout, key, make_item, make_room, make_world, stock_of
from tests.support.factories import bearer


def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, staff):
    client.post(
        "/console/login",
        data={"email": staff.email, "password": "staff-password", "csrf_token": _csrf(client, "/console/login")},
    )


def _orders(db):
    db.rollback()
    return db.scalar(select(func.count()).select_from(ShopOrder))


def test_a_cash_sale_rung_up_in_the_console_is_sold_once(client, db, app_ctx):
    world = make_world(db, funds=0)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=3)
    desk = Desk(library_id=world.library.id, name="Cassa 1")
    db.add(desk)
    db.flush()
    cash = CashSession(
        desk_id=desk.id, status=CashSessionState.OPEN, opened_by_id=world.librarian.id, opening_float=0, currency="EUR"
    )
    db.add(cash)
    db.commit()
    _login(client, world.librarian)
    page = f"/console/shop/{world.library.public_id}"
    shown = client.get(page)
    assert shown.status_code == 200 and "Borsa di tela" in shown.get_data(as_text=True)
    form = {
        "csrf_token": _csrf(client, page),
        "form_key": "sale-1",
        "card_number": patron.card_number,
        f"qty_{bag.public_id}": "2",
        "method": "cash",
        "cash_session_id": cash.public_id,
    }
    sold = client.post(f"{page}/sale", data=form)
    assert sold.status_code == 302, sold.get_data(as_text=True)[:500]
    order_page = client.get(sold.headers["Location"]).get_data(as_text=True)
    assert f"ricevuta {world.library.code.upper()}-" in order_page
    again = client.post(f"{page}/sale", data=form)  # the same form sent twice
    assert again.status_code == 302
    assert _orders(db) == 1 and stock_of(db, bag) == 1
    assert_audit_clean(db)


def test_bad_console_sales_change_nothing_and_say_why(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=3)
    _login(client, world.librarian)
    page = f"/console/shop/{world.library.public_id}"
    for extra, status in (
        ({f"qty_{bag.public_id}": "-1"}, 400),
        ({f"qty_{bag.public_id}": "abc"}, 400),
        ({f"qty_{bag.public_id}": "9"}, 409),
        ({"amount": "3,50"}, 400),
        ({}, 400),
    ):
        form = {"csrf_token": _csrf(client, page), "form_key": f"k-{extra}", "card_number": patron.card_number}
        response = client.post(f"{page}/sale", data={**form, **extra, "method": "wallet"})
        assert response.status_code == status, (extra, response.status_code)
        assert 'role="alert"' in response.get_data(as_text=True)
    assert _orders(db) == 0 and stock_of(db, bag) == 3 and balance(db, patron) == 5000


def test_orders_to_prepare_are_marked_ready_and_collected(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=3)
    order = checkout(client, patron, world.library, [{"item_id": bag.public_id, "quantity": 1}]).get_json()
    _login(client, world.librarian)
    page = f"/console/shop/{world.library.public_id}"
    assert "Da preparare" in client.get(page).get_data(as_text=True)
    token = _csrf(client, page)
    assert client.post(f"/console/shop/orders/{order['id']}/ready", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/console/shop/orders/{order['id']}/collected", data={"csrf_token": token}).status_code == 302
    db.rollback()
    assert db.scalar(select(ShopOrder.state)) == "collected"
    late = client.post(f"/console/shop/orders/{order['id']}/ready", data={"csrf_token": token})
    assert late.status_code == 422


def test_another_librarys_shop_pages_are_not_found(client, db, app_ctx):
    world = make_world(db, funds=5000)
    bag = make_item(db, world.library, price=800, stock=3)
    order = checkout(client, world.patrons[0], world.library, [{"item_id": bag.public_id, "quantity": 1}]).get_json()
    _login(client, world.sister_librarian)
    token = _csrf(client, "/console/")
    assert client.get(f"/console/shop/{world.library.public_id}").status_code == 404
    assert client.get(f"/console/shop/{world.library.public_id}/catalogue").status_code == 404
    assert client.get(f"/console/shop/orders/{order['id']}").status_code == 404
    refund = client.post(f"/console/shop/orders/{order['id']}/refund", data={"csrf_token": token, "form_key": "r"})
    assert refund.status_code == 404
    item = client.post(
        f"/console/shop/items/{bag.public_id}", data={"csrf_token": token, "price": "0,01", "stock": "", "active": "on"}
    )
    assert item.status_code == 404
    db.rollback()
    assert db.get(ShopItem, bag.id).price == 800 and db.scalar(select(ShopOrder.state)) == "paid"


def test_a_librarian_adds_and_changes_items_and_rooms(client, db, app_ctx):
    world = make_world(db)
    _login(client, world.librarian)
    page = f"/console/shop/{world.library.public_id}/catalogue"
    token = _csrf(client, page)
    added = client.post(
        f"/console/shop/{world.library.public_id}/items",
        data={
            "csrf_token": token,
            "name_it": "Matita",
            "name_en": "Pencil",
            "category": "merchandise",
            "vat": "vat_22",
            "price": "1,20",
            "stock": "50",
        },
    )
    assert added.status_code == 302
    db.rollback()
    item = db.scalar(select(ShopItem))
    assert (item.price, item.stock, item.library_id) == (120, 50, world.library.id)
    bad = client.post(
        f"/console/shop/items/{item.public_id}", data={"csrf_token": token, "price": "gratis", "stock": "5"}
    )
    assert bad.status_code == 400
    db.rollback()
    db.expire_all()
    assert db.get(ShopItem, item.id).stock == 50
    changed = client.post(
        f"/console/shop/items/{item.public_id}", data={"csrf_token": token, "price": "1,50", "stock": ""}
    )
    assert changed.status_code == 302
    db.rollback()
    db.expire_all()
    item = db.get(ShopItem, item.id)
    assert (item.price, item.stock, item.active) == (150, None, False)
    room = client.post(
        f"/console/shop/{world.library.public_id}/rooms",
        data={"csrf_token": token, "name_it": "Sala", "name_en": "Room", "capacity": "8", "price_per_hour": "10"},
    )
    assert room.status_code == 302
    db.rollback()
    assert db.scalar(select(Room.price_per_hour)) == 1000
    assert "Sala" in client.get(page).get_data(as_text=True)


def test_the_shop_page_lists_a_days_room_bookings(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    room = make_room(db, world.library, hours=((0, "09:00", "19:00"),))
    day = (utcnow().astimezone(ROME) + timedelta(days=2)).date()
    booked = client.post(
        f"/v1/shop/rooms/{room.public_id}/bookings",
        headers={**bearer(patron), **key()},
        json={
            "starts_at": datetime.combine(day, time(10), tzinfo=ROME).isoformat(),
            "ends_at": datetime.combine(day, time(12), tzinfo=ROME).isoformat(),
        },
    )
    assert booked.status_code == 201
    _login(client, world.librarian)
    page = client.get(f"/console/shop/{world.library.public_id}?date={day.isoformat()}").get_data(as_text=True)
    assert patron.card_number in page and "Sala riunioni" in page and "Prenotata" in page
    today = client.get(f"/console/shop/{world.library.public_id}").get_data(as_text=True)
    assert "Nessuna sala prenotata." in today
