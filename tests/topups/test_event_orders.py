"""A card top-up started to cover a ticket order's shortfall completes that order when it lands."""

from __future__ import annotations

from tests.events.helpers import auth, buy_body, key, make_world


def test_the_top_up_webhook_pays_the_order_waiting_for_it(api, db):
    world = make_world(db, capacity=5, price=1200, funds=500, patrons=1)
    patron = world.patrons[0]
    bought = api.client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(world.full, 2, pay_shortfall_by_card=True),
        headers={**auth(patron), **key()},
    )
    assert bought.status_code == 202, bought.json
    order_id = bought.json["order"]["id"]
    assert bought.json["shortfall"] == {"amount": 1900, "currency": "EUR"}

    topup_id, intent_id = api.started(patron, 2000)
    assert api.deliver("payment_intent.succeeded", api.fake.pay(intent_id)).json["outcome"] == "credited"

    order = api.client.get(f"/v1/events/orders/{order_id}", headers=auth(patron)).json
    assert order["status"] == "completed" and all(t["qr_code"] for t in order["tickets"])
    assert api.balance(patron) == 500 + 2000 - 2400
    api.audit_clean()


def test_a_top_up_too_small_for_the_order_credits_the_wallet_and_leaves_the_order_waiting(api, db):
    world = make_world(db, capacity=5, price=1200, funds=0, patrons=1)
    patron = world.patrons[0]
    bought = api.client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(world.full, 2, pay_shortfall_by_card=True),
        headers={**auth(patron), **key()},
    )
    assert bought.status_code == 202, bought.json
    _, intent_id = api.started(patron, 1000)
    assert api.deliver("payment_intent.succeeded", api.fake.pay(intent_id)).json["outcome"] == "credited"
    order = api.client.get(f"/v1/events/orders/{bought.json['order']['id']}", headers=auth(patron)).json
    assert order["status"] == "awaiting_payment"
    assert api.balance(patron) == 1000
    api.audit_clean()
