"""Selling at the desk: confirmed in the app (the shared confirmation flow) or paid in cash in the open session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.confirmations import services as confirmations
from backend.db import utcnow
from backend.desk.models import Desk, DeskOperation
from backend.shop.models import ShopOrder
from tests.shop.helpers import assert_audit_clean, balance, key, make_item, make_world, stock_of
from tests.support.factories import bearer


def _eur(cents):
    return {"amount": cents, "currency": "EUR"}


def _sale(client, world, patron, staff=None, **body):
    return client.post(
        "/v1/shop/manage/sales",
        headers={**bearer(staff or world.librarian), **key()},
        json={"library_id": world.library.public_id, "card_number": patron.card_number, **body},
    )


def _open_session(client, db, world, library=None, staff=None):
    desk = Desk(library_id=(library or world.library).id, name="Cassa 1")
    db.add(desk)
    db.commit()
    opened = client.post(
        f"/v1/desk/desks/{desk.public_id}/sessions",
        headers={**bearer(staff or world.librarian), **key()},
        json={"opening_float": _eur(5000)},
    )
    assert opened.status_code == 201, opened.get_json()
    return opened.get_json()["id"]


def _orders(db):
    db.rollback()
    return db.scalar(select(func.count()).select_from(ShopOrder))


def test_a_desk_sale_paid_from_the_wallet_is_confirmed_in_the_app(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=3)
    asked = _sale(client, world, patron, method="wallet", lines=[{"item_id": bag.public_id, "quantity": 1}])
    assert asked.status_code == 201, asked.get_json()
    order = asked.get_json()
    assert order["state"] == "awaiting_confirmation" and order["confirmation_id"] and order["receipt_id"] is None
    assert balance(db, patron) == 5000 and stock_of(db, bag) == 3
    pending = client.get("/v1/confirmations", headers=bearer(patron)).get_json()
    assert [c["id"] for c in pending] == [order["confirmation_id"]]
    assert pending[0]["amount"] == _eur(800) and pending[0]["reference"] == order["id"]
    confirmed = client.post(
        f"/v1/confirmations/{order['confirmation_id']}/confirm", headers={**bearer(patron), **key()}
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    assert balance(db, patron) == 4200 and stock_of(db, bag) == 2
    seen = client.get(f"/v1/shop/manage/orders/{order['id']}", headers=bearer(world.librarian)).get_json()
    assert seen["state"] == "completed" and seen["receipt_id"] and seen["channel"] == "desk"
    assert_audit_clean(db)


def test_a_free_amount_declined_or_expired_moves_no_money(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    declined = _sale(
        client, world, patron, method="wallet", amount=_eur(350), description="Fotocopie a colori", category="printing"
    ).get_json()
    answer = client.post(f"/v1/confirmations/{declined['confirmation_id']}/decline", headers=bearer(patron))
    assert answer.status_code == 200
    db.rollback()
    assert db.scalar(select(ShopOrder.state).where(ShopOrder.public_id == declined["id"])) == "declined"
    expiring = _sale(client, world, patron, method="wallet", amount=_eur(200), description="Tessera nuova").get_json()
    db.rollback()
    assert confirmations.expire_due(db, now=utcnow() + timedelta(minutes=3)) == 1
    db.commit()
    late = client.post(f"/v1/confirmations/{expiring['confirmation_id']}/confirm", headers={**bearer(patron), **key()})
    assert late.status_code == 409
    db.rollback()
    assert db.scalar(select(ShopOrder.state).where(ShopOrder.public_id == expiring["id"])) == "expired"
    assert balance(db, patron) == 5000
    assert client.get("/v1/shop/orders", headers=bearer(patron)).get_json()["data"] == []
    assert_audit_clean(db)


def test_insufficient_funds_at_confirmation_keeps_the_request_open(client, db, app_ctx):
    world = make_world(db, funds=300)
    patron = world.patrons[0]
    order = _sale(client, world, patron, method="wallet", amount=_eur(500), description="Corso di inglese").get_json()
    response = client.post(f"/v1/confirmations/{order['confirmation_id']}/confirm", headers={**bearer(patron), **key()})
    assert response.status_code == 422 and response.get_json()["error"]["shortfall"] == _eur(200)
    assert balance(db, patron) == 300
    db.rollback()
    assert db.scalar(select(ShopOrder.state)) == "awaiting_confirmation"


def test_a_cash_sale_goes_into_the_open_session_and_its_refund_comes_out_of_it(client, db, app_ctx):
    world = make_world(db, funds=0)
    patron = world.patrons[0]
    book = make_item(db, world.library, price=400, stock=2, category="used_books", name="Il Gattopardo")
    sid = _open_session(client, db, world)
    sold = _sale(
        client, world, patron, method="cash", cash_session_id=sid, lines=[{"item_id": book.public_id, "quantity": 2}]
    )
    assert sold.status_code == 201, sold.get_json()
    order = sold.get_json()
    assert order["state"] == "completed" and order["method"] == "cash" and order["receipt_id"]
    assert stock_of(db, book) == 0
    # refunded in cash from the same open session
    needs_session = client.post(
        f"/v1/shop/manage/orders/{order['id']}/refund", headers={**bearer(world.librarian), **key()}, json={}
    )
    assert needs_session.status_code == 400 and needs_session.get_json()["error"]["code"] == "cash_session_required"
    refunded = client.post(
        f"/v1/shop/manage/orders/{order['id']}/refund",
        headers={**bearer(world.librarian), **key()},
        json={"cash_session_id": sid},
    )
    assert refunded.status_code == 200, refunded.get_json()
    assert refunded.get_json()["state"] == "refunded" and stock_of(db, book) == 2
    closed = client.post(
        f"/v1/desk/sessions/{sid}/close", headers={**bearer(world.librarian), **key()}, json={"counted": _eur(5000)}
    )
    assert closed.status_code == 200 and closed.get_json()["difference"] == _eur(0)
    totals = {(t["operation"], t["method"]): t["total"]["amount"] for t in closed.get_json()["totals"]}
    assert totals == {("shop_refund", "cash"): 800, ("shop_sale", "cash"): 800}
    assert_audit_clean(db)


def test_a_cash_sale_counts_in_the_cash_up(client, db, app_ctx):
    world = make_world(db, funds=0)
    sid = _open_session(client, db, world)
    sold = _sale(
        client, world, world.patrons[0], method="cash", cash_session_id=sid, amount=_eur(250), description="Fotocopie"
    )
    assert sold.status_code == 201
    session = client.get(f"/v1/desk/sessions/{sid}", headers=bearer(world.librarian)).get_json()
    assert session["expected"] == _eur(5250)


def test_bad_desk_sales_are_4xx_and_change_nothing(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=3)
    sid = _open_session(client, db, world)
    sister_sid = _open_session(client, db, world, library=world.sister, staff=world.sister_librarian)
    line = [{"item_id": bag.public_id, "quantity": 1}]
    cases = [
        (dict(method="wallet"), 400, "lines_or_amount_required"),
        (dict(method="wallet", lines=line, amount=_eur(100), description="x"), 400, "lines_or_amount_required"),
        (dict(method="wallet", amount=_eur(100)), 400, "validation_error"),
        (dict(method="wallet", amount=_eur(0), description="x"), 400, "validation_error"),
        (dict(method="wallet", lines=[{"item_id": bag.public_id, "quantity": 0}]), 400, "validation_error"),
        (dict(method="cheque", lines=line), 400, "validation_error"),
        (dict(method="cash", lines=line), 400, "cash_session_required"),
        (dict(method="cash", lines=line, cash_session_id=sister_sid), 404, "not_found"),
        (dict(method="wallet", lines=[{"item_id": bag.public_id, "quantity": 4}]), 409, "out_of_stock"),
    ]
    for body, status, code in cases:
        response = _sale(client, world, patron, **body)
        assert response.status_code == status, (body, response.get_json())
        assert response.get_json()["error"]["code"] == code
    unknown_card = client.post(
        "/v1/shop/manage/sales",
        headers={**bearer(world.librarian), **key()},
        json={"library_id": world.library.public_id, "card_number": "NOPE", "method": "wallet", "lines": line},
    )
    assert unknown_card.status_code == 404
    elsewhere = client.post(
        "/v1/shop/manage/sales",
        headers={**bearer(world.sister_librarian), **key()},
        json={
            "library_id": world.library.public_id,
            "card_number": patron.card_number,
            "method": "wallet",
            "lines": line,
        },
    )
    assert elsewhere.status_code == 404
    assert _orders(db) == 0 and stock_of(db, bag) == 3 and balance(db, patron) == 5000
    db.rollback()
    assert db.scalar(select(func.count()).select_from(DeskOperation)) == 0
    assert client.get(f"/v1/desk/sessions/{sid}", headers=bearer(world.librarian)).get_json()["expected"] == _eur(5000)
