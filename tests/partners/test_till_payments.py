"""Paying at the till with the wallet: asked at the till, confirmed in the app within 2 minutes, refundable 30 days."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from backend.confirmations import services as confirmations
from backend.confirmations.models import Confirmation
from backend.db import utcnow
from backend.ledger.services import wallet_of
from backend.partners.models import TillPayment
from tests.partners.helpers import Phone, assert_audit_clean, make_partner, make_world
from tests.support.factories import bearer, make_staff
from tests.support.ledger import fund_wallet


def _key():
    return {"Idempotency-Key": str(uuid.uuid4())}


def _ask(client, world, phone, amount=1500, staff=None):
    return client.post(
        "/v1/partners/till-payments",
        headers={**bearer(staff or world.till), **_key()},
        json={
            "code": phone.code(),
            "venue_id": world.cinema.public_id,
            "amount": {"amount": amount, "currency": "EUR"},
            "description": "Popcorn",
        },
    )


def _balance(db, patron) -> int:
    db.rollback()
    db.expire_all()
    return wallet_of(db, patron).balance


def _world(client, db, funds=2000):
    world = make_world(db, wallet_payments=True)
    patron = world.patrons[0]
    if funds:
        fund_wallet(db, patron, funds)
        db.commit()
    phone = Phone()
    phone.sync(client, patron)
    return world, patron, phone


def test_off_by_default(client, db):
    world = make_world(db)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    response = _ask(client, world, phone)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "wallet_payments_off"
    db.rollback()
    assert db.scalar(select(TillPayment)) is None


def test_ask_confirm_pay_and_refund(client, db, app_ctx):
    world, patron, phone = _world(client, db)
    asked = _ask(client, world, phone)
    assert asked.status_code == 201, asked.get_json()
    payment = asked.get_json()
    assert payment["state"] == "pending" and payment["expires_at"].endswith("Z")
    pending = client.get("/v1/confirmations", headers=bearer(patron)).get_json()
    assert len(pending) == 1 and pending[0]["amount"] == {"amount": 1500, "currency": "EUR"}
    assert pending[0]["reference"] == payment["id"]
    inbox = client.get("/v1/notifications", headers=bearer(patron)).get_json()["data"]
    assert inbox[0]["kind"] == "confirmation_request"
    # the other patron can't see or answer it
    other = world.patrons[1]
    assert client.get("/v1/confirmations", headers=bearer(other)).get_json() == []
    assert (
        client.post(f"/v1/confirmations/{pending[0]['id']}/confirm", headers={**bearer(other), **_key()}).status_code
        == 404
    )

    confirmed = client.post(f"/v1/confirmations/{pending[0]['id']}/confirm", headers={**bearer(patron), **_key()})
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    assert _balance(db, patron) == 500
    seen = client.get(f"/v1/partners/till-payments/{payment['id']}", headers=bearer(world.till)).get_json()
    assert seen["state"] == "paid"
    # answering again changes nothing
    again = client.post(f"/v1/confirmations/{pending[0]['id']}/confirm", headers={**bearer(patron), **_key()})
    assert again.status_code == 409 and _balance(db, patron) == 500

    refunded = client.post(
        f"/v1/partners/till-payments/{payment['id']}/refund", headers={**bearer(world.till), **_key()}
    )
    assert refunded.status_code == 200 and refunded.get_json()["state"] == "refunded"
    assert _balance(db, patron) == 2000
    twice = client.post(f"/v1/partners/till-payments/{payment['id']}/refund", headers={**bearer(world.till), **_key()})
    assert twice.status_code == 422 and _balance(db, patron) == 2000
    assert_audit_clean(db)


def test_insufficient_funds_is_a_clear_422_and_the_request_stays_open(client, db, app_ctx):
    world, patron, phone = _world(client, db, funds=1000)
    payment = _ask(client, world, phone, amount=1500).get_json()
    confirmation = client.get("/v1/confirmations", headers=bearer(patron)).get_json()[0]
    response = client.post(f"/v1/confirmations/{confirmation['id']}/confirm", headers={**bearer(patron), **_key()})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "insufficient_funds"
    assert _balance(db, patron) == 1000
    assert (
        client.get(f"/v1/partners/till-payments/{payment['id']}", headers=bearer(world.till)).get_json()["state"]
        == "pending"
    )
    fund_wallet(db, patron, 1000)
    db.commit()
    response = client.post(f"/v1/confirmations/{confirmation['id']}/confirm", headers={**bearer(patron), **_key()})
    assert response.status_code == 200 and _balance(db, patron) == 500
    assert_audit_clean(db)


def test_declined_and_expired_requests_move_no_money(client, db, app_ctx):
    world, patron, phone = _world(client, db)
    first = _ask(client, world, phone).get_json()
    cid = client.get("/v1/confirmations", headers=bearer(patron)).get_json()[0]["id"]
    assert client.post(f"/v1/confirmations/{cid}/decline", headers=bearer(patron)).get_json()["state"] == "declined"
    assert (
        client.get(f"/v1/partners/till-payments/{first['id']}", headers=bearer(world.till)).get_json()["state"]
        == "declined"
    )

    second = _ask(client, world, phone).get_json()
    cid = client.get("/v1/confirmations", headers=bearer(patron)).get_json()[0]["id"]
    db.rollback()
    db.execute(
        update(Confirmation).where(Confirmation.public_id == cid).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    late = client.post(f"/v1/confirmations/{cid}/confirm", headers={**bearer(patron), **_key()})
    assert late.status_code == 422 and late.get_json()["error"]["code"] == "confirmation_expired"
    assert confirmations.expire_due(db) == 1
    db.commit()
    assert (
        client.get(f"/v1/partners/till-payments/{second['id']}", headers=bearer(world.till)).get_json()["state"]
        == "expired"
    )
    assert _balance(db, patron) == 2000


def test_refund_window_and_other_partners(client, db, app_ctx):
    world, patron, phone = _world(client, db)
    payment = _ask(client, world, phone).get_json()
    cid = client.get("/v1/confirmations", headers=bearer(patron)).get_json()[0]["id"]
    client.post(f"/v1/confirmations/{cid}/confirm", headers={**bearer(patron), **_key()})
    partner_b, _, _ = make_partner(db, world.network, "Teatro B", wallet_payments=True)
    till_b = make_staff(db, "partner", world.network)
    till_b.partner = partner_b
    db.commit()
    assert client.get(f"/v1/partners/till-payments/{payment['id']}", headers=bearer(till_b)).status_code == 404
    assert (
        client.post(
            f"/v1/partners/till-payments/{payment['id']}/refund", headers={**bearer(till_b), **_key()}
        ).status_code
        == 404
    )
    db.rollback()
    db.execute(
        update(TillPayment).where(TillPayment.public_id == payment["id"]).values(paid_at=utcnow() - timedelta(days=31))
    )
    db.commit()
    late = client.post(f"/v1/partners/till-payments/{payment['id']}/refund", headers={**bearer(world.till), **_key()})
    assert late.status_code == 422 and late.get_json()["error"]["code"] == "refund_window_closed"
    assert _balance(db, patron) == 500


def test_bad_amounts_are_400_and_change_nothing(client, db):
    world, patron, phone = _world(client, db)
    for amount in (-5, 0, 10**12):
        response = client.post(
            "/v1/partners/till-payments",
            headers={**bearer(world.till), **_key()},
            json={
                "code": phone.code(),
                "venue_id": world.cinema.public_id,
                "amount": {"amount": amount, "currency": "EUR"},
            },
        )
        assert response.status_code == 400
    db.rollback()
    assert db.scalar(select(TillPayment)) is None
