from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.ledger.audit import run_audit
from backend.topups.models import Topup
from backend.topups.provider import EXTENSION
from payments.stripe_provider import StripeProvider
from tests.support.factories import bearer, make_library, make_network, make_patron
from tests.topups.fake_stripe import WEBHOOK_SECRET, FakeStripe, event, signed


@pytest.fixture
def stripe_fake(app):
    fake = FakeStripe()
    app.extensions[EXTENSION] = StripeProvider(
        secret_key="sk_test_123",
        publishable_key="pk_test_123",
        webhook_secret=WEBHOOK_SECRET,
        http_client=fake,
        max_network_retries=0,
    )
    yield fake
    app.extensions.pop(EXTENSION, None)


@pytest.fixture
def patron(db):
    network = make_network(db)
    person = make_patron(db, network, make_library(db, network))
    db.commit()
    return person


class Api:
    def __init__(self, client, db, fake):
        self.client, self.db, self.fake = client, db, fake

    def start(self, patron, amount=2000, key=None, currency="EUR"):
        return self.client.post(
            "/v1/wallet/topups",
            json={"amount": {"amount": amount, "currency": currency}},
            headers={**bearer(patron), "Idempotency-Key": key or str(uuid.uuid4())},
        )

    def started(self, patron, amount=2000):
        response = self.start(patron, amount)
        assert response.status_code == 201, response.json
        topup = response.json["topup"]
        intent_id = self.db.scalar(select(Topup.intent_id).where(Topup.public_id == topup["id"]))
        self.db.rollback()  # SQLite: never keep the write lock between calls
        return topup["id"], intent_id

    def deliver(self, type_, obj, event_id=None, **sign_kwargs):
        payload = event(type_, obj, event_id)
        return self.client.post("/v1/payments/webhook", data=payload, headers=signed(payload, **sign_kwargs))

    def status(self, patron, topup_id):
        return self.client.get(f"/v1/wallet/topups/{topup_id}", headers=bearer(patron)).json

    def balance(self, patron):
        from backend.ledger.services import wallet_of

        self.db.rollback()
        wallet = wallet_of(self.db, patron)
        self.db.refresh(wallet)
        balance = wallet.balance
        self.db.rollback()
        return balance

    def backdate(self, topup_id, minutes=30):
        from backend.db import utcnow

        self.db.execute(
            update(Topup).where(Topup.public_id == topup_id).values(created_at=utcnow() - timedelta(minutes=minutes))
        )
        self.db.commit()

    def audit_clean(self):
        self.db.rollback()
        report = run_audit(self.db)
        self.db.rollback()
        assert report.clean, report.problems


@pytest.fixture
def api(client, db, stripe_fake, app_ctx):
    return Api(client, db, stripe_fake)
