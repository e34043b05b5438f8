"""The demo's card top-up with the offline sandbox provider, end to end through HTTP."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from backend.ledger.audit import run_audit
from backend.ledger.models import JournalEntry
from backend.ledger.services import wallet_of
from backend.topups.models import Topup
from backend.topups.provider import EXTENSION
from payments.sandbox import SandboxProvider
from tests.support.factories import bearer


@pytest.fixture
def sandbox(app):
    app.extensions[EXTENSION] = SandboxProvider()
    yield
    app.extensions.pop(EXTENSION, None)


def _post(client, patron, url, body):
    return client.post(url, json=body, headers={**bearer(patron), "Idempotency-Key": str(uuid.uuid4())})


def _balance(db, patron):
    db.rollback()
    wallet = wallet_of(db, patron)
    db.refresh(wallet)
    balance = wallet.balance
    db.rollback()
    return balance


def test_start_pay_in_the_sandbox_credit_and_receipt(app, client, db, sandbox, patron):
    started = _post(client, patron, "/v1/wallet/topups", {"amount": {"amount": 2500, "currency": "EUR"}})
    assert started.status_code == 201, started.json
    assert started.json["payment_sheet"]["provider"] == "sandbox"
    topup_id = started.json["topup"]["id"]
    assert _balance(db, patron) == 0

    # Another gunicorn worker (a fresh provider with no memory of the intent) takes the payment.
    app.extensions[EXTENSION] = SandboxProvider()
    paid = _post(client, patron, f"/v1/wallet/topups/{topup_id}/sandbox-payment", {})
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "succeeded" and paid.json["receipt_id"].startswith("rcp_")
    assert _balance(db, patron) == 2500

    polled = client.get(f"/v1/wallet/topups/{topup_id}", headers=bearer(patron)).json
    assert polled["status"] == "succeeded"
    receipt = client.get(f"/v1/wallet/topups/{topup_id}/receipt?lang=en", headers=bearer(patron))
    assert receipt.status_code == 200
    text = receipt.get_data(as_text=True)
    assert "Wallet top-up by card" in text and "€25.00" in text and f"APP-{patron.home_network.code}" in text

    again = _post(client, patron, f"/v1/wallet/topups/{topup_id}/sandbox-payment", {})
    assert again.status_code == 409 and again.json["error"]["code"] == "topup_not_payable"
    assert _balance(db, patron) == 2500
    db.rollback()
    assert run_audit(db).clean
    db.rollback()


def test_a_declined_sandbox_payment_can_be_retried(client, db, sandbox, patron):
    topup_id = _post(client, patron, "/v1/wallet/topups", {"amount": {"amount": 1000, "currency": "EUR"}}).json[
        "topup"
    ]["id"]
    declined = _post(client, patron, f"/v1/wallet/topups/{topup_id}/sandbox-payment", {"succeed": False})
    assert declined.status_code == 200
    assert (declined.json["status"], declined.json["failure_code"]) == ("failed", "card_declined")
    assert _balance(db, patron) == 0
    retried = _post(client, patron, f"/v1/wallet/topups/{topup_id}/sandbox-payment", {})
    assert retried.json["status"] == "succeeded"
    assert _balance(db, patron) == 1000


def test_the_sandbox_payment_is_refused_with_a_real_provider(client, db, stripe_fake, patron):
    topup_id = _post(client, patron, "/v1/wallet/topups", {"amount": {"amount": 1000, "currency": "EUR"}}).json[
        "topup"
    ]["id"]
    refused = _post(client, patron, f"/v1/wallet/topups/{topup_id}/sandbox-payment", {})
    assert refused.status_code == 404 and refused.json["error"]["code"] == "sandbox_only"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(JournalEntry)) == 0
    db.rollback()


def test_a_signed_sandbox_event_is_an_ordinary_webhook_and_a_forged_one_is_not(app, client, db, sandbox, patron):
    topup_id = _post(client, patron, "/v1/wallet/topups", {"amount": {"amount": 1500, "currency": "EUR"}}).json[
        "topup"
    ]["id"]
    provider = app.extensions[EXTENSION]
    db.rollback()
    intent_id = db.scalar(select(Topup.intent_id).where(Topup.public_id == topup_id))
    db.rollback()
    body, signature = provider.pay(provider.retrieve_intent(intent_id))
    forged = client.post(
        "/v1/payments/webhook",
        data=body,
        headers={"Stripe-Signature": signature.replace("v1=", "v1=0"), "Content-Type": "application/json"},
    )
    assert forged.status_code == 400
    assert _balance(db, patron) == 0
    delivered = client.post(
        "/v1/payments/webhook", data=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )
    assert delivered.json == {"received": True, "outcome": "credited"}
    assert _balance(db, patron) == 1500


def test_the_app_flow_with_a_real_signed_in_session(client, db, sandbox):
    """Tokens from a real sign-in name a session that every request checks; the top-up still goes through."""
    from tests.accounts_helpers import card_sign_in
    from tests.support.factories import make_library, make_network, make_patron

    network = make_network(db)
    person = make_patron(db, network, make_library(db, network), pin="2468", card="SBX0001")
    db.commit()
    token = card_sign_in(client, "SBX0001", "2468").get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    started = client.post(
        "/v1/wallet/topups",
        json={"amount": {"amount": 1000, "currency": "EUR"}},
        headers={**headers, "Idempotency-Key": "first"},
    )
    assert started.status_code == 201, started.json
    paid = client.post(
        f"/v1/wallet/topups/{started.json['topup']['id']}/sandbox-payment",
        json={},
        headers={**headers, "Idempotency-Key": "pay"},
    )
    assert paid.json["status"] == "succeeded"
    assert _balance(db, person) == 1000
