"""Paying a cart from the wallet: totals, stock, pickup, printing credit, receipts, history, refunds."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.ledger.models import JournalEntry
from backend.receipts.models import Receipt
from backend.shop.models import ShopOrder
from tests.shop.helpers import assert_audit_clean, balance, checkout, key, make_item, make_world, stock_of
from tests.support.factories import bearer


def _orders(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ShopOrder))


def test_a_cart_is_paid_in_one_request_and_waits_for_pickup(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=5)
    book = make_item(db, world.library, price=300, stock=1, category="used_books", name="Il Gattopardo")
    response = checkout(
        client,
        patron,
        world.library,
        [{"item_id": bag.public_id, "quantity": 2}, {"item_id": book.public_id, "quantity": 1}],
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["total"] == {"amount": 1900, "currency": "EUR"}
    assert order["state"] == "paid" and order["pickup"] is True and order["receipt_id"]
    assert [(line["quantity"], line["amount"]["amount"]) for line in order["lines"]] == [(2, 1600), (1, 300)]
    assert balance(db, patron) == 3100
    assert stock_of(db, bag) == 3 and stock_of(db, book) == 0

    # the librarian prepares it, the patron is told, then collects it
    staff = bearer(world.librarian)
    todo = client.get(f"/v1/shop/manage/libraries/{world.library.public_id}/to-prepare", headers=staff).get_json()
    assert [o["id"] for o in todo] == [order["id"]]
    collected_too_early = client.post(f"/v1/shop/manage/orders/{order['id']}/collected", headers=staff)
    assert collected_too_early.status_code == 422
    assert collected_too_early.get_json()["error"]["state"] == "paid"
    ready = client.post(f"/v1/shop/manage/orders/{order['id']}/ready", headers=staff)
    assert ready.status_code == 200 and ready.get_json()["state"] == "ready"
    inbox = client.get("/v1/notifications", headers=bearer(patron)).get_json()["data"]
    assert inbox[0]["kind"] == "shop_order_ready"
    collected = client.post(f"/v1/shop/manage/orders/{order['id']}/collected", headers=staff)
    assert collected.status_code == 200 and collected.get_json()["state"] == "collected"
    again = client.post(f"/v1/shop/manage/orders/{order['id']}/ready", headers=staff)
    assert again.status_code == 422 and again.get_json()["error"]["state"] == "collected"
    assert client.get(f"/v1/shop/manage/libraries/{world.library.public_id}/to-prepare", headers=staff).get_json() == []
    assert_audit_clean(db)


def test_the_same_idempotency_key_pays_once(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=5)
    headers = key()
    first = checkout(client, patron, world.library, [{"item_id": bag.public_id, "quantity": 1}], headers)
    second = checkout(client, patron, world.library, [{"item_id": bag.public_id, "quantity": 1}], headers)
    assert first.status_code == second.status_code == 201 and first.get_json() == second.get_json()
    assert balance(db, patron) == 4200 and stock_of(db, bag) == 4 and _orders(db) == 1


def test_insufficient_funds_is_a_422_with_the_shortfall_and_nothing_reserved(client, db, app_ctx):
    world = make_world(db, funds=1000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=5)
    response = checkout(client, patron, world.library, [{"item_id": bag.public_id, "quantity": 2}])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_funds" and error["shortfall"] == {"amount": 600, "currency": "EUR"}
    assert balance(db, patron) == 1000 and stock_of(db, bag) == 5 and _orders(db) == 0
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Receipt)) == 0


def test_bad_carts_are_4xx_and_change_nothing(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=2)
    elsewhere = make_item(db, world.sister, price=100)
    abroad = make_item(db, world.other_library, price=100)
    cases = [
        ([{"item_id": bag.public_id, "quantity": 0}], 400, "validation_error"),
        ([{"item_id": bag.public_id, "quantity": -1}], 400, "validation_error"),
        ([{"item_id": bag.public_id, "quantity": 1.5}], 400, "validation_error"),
        ([{"item_id": bag.public_id, "quantity": "1"}], 400, "validation_error"),
        ([], 400, "validation_error"),
        ([{"item_id": "itm_unknown", "quantity": 1}], 404, "not_found"),
        ([{"item_id": elsewhere.public_id, "quantity": 1}], 422, "item_not_sold_here"),
        ([{"item_id": abroad.public_id, "quantity": 1}], 422, "item_not_sold_here"),
        ([{"item_id": bag.public_id, "quantity": 3}], 409, "out_of_stock"),
        ([{"item_id": bag.public_id, "quantity": 1}, {"item_id": bag.public_id, "quantity": 1}], 400, "duplicate_line"),
    ]
    for lines, status, code in cases:
        response = checkout(client, patron, world.library, lines)
        assert response.status_code == status, (lines, response.get_json())
        assert response.get_json()["error"]["code"] == code
    assert balance(db, patron) == 5000 and stock_of(db, bag) == 2 and _orders(db) == 0
    unknown_library = client.post(
        "/v1/shop/orders",
        headers={**bearer(patron), **key()},
        json={"library_id": "lib_unknown", "lines": [{"item_id": bag.public_id, "quantity": 1}]},
    )
    assert unknown_library.status_code == 404 and _orders(db) == 0


def test_printing_credit_is_added_at_once_and_shown_in_the_app(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    credit = make_item(db, world.library, price=500, category="printing", name="Credito stampa 5 €", vat="out_of_scope")
    response = checkout(client, patron, world.library, [{"item_id": credit.public_id, "quantity": 2}])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["state"] == "completed" and response.get_json()["pickup"] is False
    shown = client.get("/v1/shop/printing-credit", headers=bearer(patron)).get_json()
    assert shown == [
        {
            "network_id": world.network.public_id,
            "network_name": world.network.name,
            "balance": {"amount": 1000, "currency": "EUR"},
        }
    ]
    assert client.get("/v1/shop/printing-credit", headers=bearer(world.patrons[1])).get_json() == []
    assert balance(db, patron) == 4000
    assert_audit_clean(db)


def test_receipts_are_numbered_without_gaps_in_the_librarys_series(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=100, stock=1)
    pen = make_item(db, world.library, price=100, name="Penna")
    assert checkout(client, patron, world.library, [{"item_id": pen.public_id, "quantity": 1}]).status_code == 201
    # a refused order burns no number
    assert checkout(client, patron, world.library, [{"item_id": bag.public_id, "quantity": 2}]).status_code == 409
    assert checkout(client, patron, world.library, [{"item_id": pen.public_id, "quantity": 1}]).status_code == 201
    db.rollback()
    numbers = list(db.scalars(select(Receipt.number).order_by(Receipt.id)))
    code = world.library.code.upper()
    assert [n.split("-")[0] for n in numbers] == [code, code]
    assert [int(n.split("-")[-1]) for n in numbers] == [1, 2]
    order = client.get("/v1/shop/orders", headers=bearer(patron)).get_json()["data"][0]
    html = client.get(f"/v1/shop/orders/{order['id']}/receipt?lang=en", headers=bearer(patron))
    assert html.status_code == 200 and "1 × Borsa di tela" not in html.get_data(as_text=True)
    assert "1 × Penna (incl. 22% VAT)" in html.get_data(as_text=True) and numbers[1] in html.get_data(as_text=True)
    pdf = client.get(f"/v1/shop/orders/{order['id']}/receipt?format=pdf", headers=bearer(patron))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/v1/shop/orders/{order['id']}/receipt", headers=bearer(world.patrons[1])).status_code == 404


def test_the_order_is_in_my_history_with_what_it_paid_for(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    pen = make_item(db, world.library, price=250, name="Penna")
    order = checkout(client, patron, world.library, [{"item_id": pen.public_id, "quantity": 2}]).get_json()
    transactions = client.get("/v1/wallet/transactions", headers=bearer(patron)).get_json()["data"]
    paid = transactions[0]
    assert paid["amount"]["amount"] in (-500, 500)
    detail = client.get(f"/v1/wallet/transactions/{paid['id']}", headers=bearer(patron)).get_json()
    assert any(item["id"] == order["id"] and "2× Penna" in item["description"] for item in detail["paid_for"])
    assert any(item["kind"] == "receipt" and item["id"] == order["receipt_id"] for item in detail["paid_for"])
    mine = client.get("/v1/shop/orders", headers=bearer(patron)).get_json()["data"]
    assert [o["id"] for o in mine] == [order["id"]]
    assert client.get("/v1/shop/orders", headers=bearer(world.patrons[1])).get_json()["data"] == []
    assert client.get(f"/v1/shop/orders/{order['id']}", headers=bearer(world.patrons[1])).status_code == 404


def test_another_librarys_orders_are_404(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=5)
    order = checkout(client, patron, world.library, [{"item_id": bag.public_id, "quantity": 1}]).get_json()
    other = bearer(world.sister_librarian)
    assert client.get(f"/v1/shop/manage/orders/{order['id']}", headers=other).status_code == 404
    assert client.post(f"/v1/shop/manage/orders/{order['id']}/ready", headers=other).status_code == 404
    refund = client.post(f"/v1/shop/manage/orders/{order['id']}/refund", headers={**other, **key()}, json={})
    assert refund.status_code == 404
    assert client.get(f"/v1/shop/manage/orders/{order['id']}/receipt", headers=other).status_code == 404
    listing = client.get(f"/v1/shop/manage/libraries/{world.library.public_id}/orders", headers=other)
    assert listing.status_code == 404
    db.rollback()
    assert db.scalar(select(ShopOrder.state)) == "paid" and balance(db, patron) == 4200


def test_a_librarian_refunds_an_app_order_to_the_wallet(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    bag = make_item(db, world.library, price=800, stock=5)
    credit = make_item(db, world.library, price=500, category="printing", name="Credito stampa")
    order = checkout(
        client,
        patron,
        world.library,
        [{"item_id": bag.public_id, "quantity": 1}, {"item_id": credit.public_id, "quantity": 1}],
    ).get_json()
    assert balance(db, patron) == 3700 and stock_of(db, bag) == 4
    staff = {**bearer(world.librarian)}
    refunded = client.post(f"/v1/shop/manage/orders/{order['id']}/refund", headers={**staff, **key()}, json={})
    assert refunded.status_code == 200, refunded.get_json()
    body = refunded.get_json()
    assert body["state"] == "refunded" and body["refund_receipt_id"]
    assert balance(db, patron) == 5000 and stock_of(db, bag) == 5
    assert client.get("/v1/shop/printing-credit", headers=bearer(patron)).get_json()[0]["balance"]["amount"] == 0
    twice = client.post(f"/v1/shop/manage/orders/{order['id']}/refund", headers={**staff, **key()}, json={})
    assert twice.status_code == 422 and twice.get_json()["error"]["state"] == "refunded"
    assert balance(db, patron) == 5000
    db.rollback()
    kinds = list(
        db.scalars(select(JournalEntry.kind).where(JournalEntry.reference == order["id"]).order_by(JournalEntry.id))
    )
    assert kinds == ["shop_purchase", "shop_refund"]
    assert_audit_clean(db)


def test_printing_done_at_the_library_is_paid_from_the_printing_credit(client, db, app_ctx):
    world = make_world(db, funds=5000)
    patron = world.patrons[0]
    credit = make_item(db, world.library, price=500, category="printing", name="Credito stampa")
    order = checkout(client, patron, world.library, [{"item_id": credit.public_id, "quantity": 1}]).get_json()

    def use(cents, staff=None):
        return client.post(
            "/v1/shop/manage/printing-uses",
            headers={**bearer(staff or world.librarian), **key()},
            json={
                "library_id": world.library.public_id,
                "card_number": patron.card_number,
                "amount": {"amount": cents, "currency": "EUR"},
                "description": "20 A4",
            },
        )

    used = use(300)
    assert used.status_code == 201, used.get_json()
    assert used.get_json()["balance"] == {"amount": 200, "currency": "EUR"}
    too_much = use(250)
    assert too_much.status_code == 422
    assert too_much.get_json()["error"]["shortfall"] == {"amount": 50, "currency": "EUR"}
    assert use(100, staff=world.sister_librarian).status_code == 404
    assert client.get("/v1/shop/printing-credit", headers=bearer(patron)).get_json()[0]["balance"]["amount"] == 200
    # the credit bought is partly used: that order can no longer be refunded
    refund = client.post(
        f"/v1/shop/manage/orders/{order['id']}/refund", headers={**bearer(world.librarian), **key()}, json={}
    )
    assert refund.status_code == 422 and refund.get_json()["error"]["code"] == "printing_credit_used"
    assert balance(db, patron) == 4500
    assert_audit_clean(db)
