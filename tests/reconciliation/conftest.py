from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from backend.ledger.models import JournalEntry, LedgerAccount
from backend.ledger.services import CARD_NETWORK_INFO, account_balance
from backend.topups.models import Topup
from backend.topups.provider import EXTENSION
from payments.stripe_provider import StripeProvider
from tests.campaigns.helpers import assert_audit_clean
from tests.reconciliation.fake_payouts import FakeStripePayouts
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff
from tests.topups.fake_stripe import WEBHOOK_SECRET, event, signed

CARD_NETWORK = "RECONNET"


@pytest.fixture
def stripe_fake(app):
    fake = FakeStripePayouts()
    app.extensions[EXTENSION] = StripeProvider(
        secret_key="sk_test_123",
        publishable_key="pk_test_123",
        webhook_secret=WEBHOOK_SECRET,
        http_client=fake,
        max_network_retries=0,
    )
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(settings, card_account_network=CARD_NETWORK)
    info = app.extensions["borsellino.db"].session_info
    from backend.finance.reconciliation.stripe_payouts import SETTINGS_INFO

    info[SETTINGS_INFO] = app.config["SETTINGS"]
    info[CARD_NETWORK_INFO] = CARD_NETWORK
    yield fake
    app.config["SETTINGS"] = settings
    info[SETTINGS_INFO] = settings
    info[CARD_NETWORK_INFO] = settings.card_account_network
    app.extensions.pop(EXTENSION, None)


class World:
    def __init__(self, client, db, fake):
        self.client, self.db, self.fake = client, db, fake
        self.network = make_network(db, CARD_NETWORK)
        self.library = make_library(db, self.network)
        self.finance = make_staff(db, "finance", self.network)
        self.admin = make_staff(db, "admin", self.network)
        other = make_network(db)
        self.other_network = other
        self.other_finance = make_staff(db, "finance", other)
        self.librarian = make_staff(db, "librarian", self.network, libraries=[self.library])
        self.patrons = [make_patron(db, self.network, self.library) for _ in range(3)]
        db.commit()

    def headers(self, person, **extra):
        headers = bearer(person)
        self.db.commit()
        return {**headers, **extra}

    def deliver(self, type_, obj, event_id=None):
        payload = event(type_, obj, event_id)
        return self.client.post("/v1/payments/webhook", data=payload, headers=signed(payload))

    def paid_topup(self, patron, amount):
        response = self.client.post(
            "/v1/wallet/topups",
            json={"amount": {"amount": amount, "currency": "EUR"}},
            headers=self.headers(patron, **{"Idempotency-Key": str(uuid.uuid4())}),
        )
        assert response.status_code == 201, response.json
        topup_id = response.json["topup"]["id"]
        intent_id = self.db.scalar(select(Topup.intent_id).where(Topup.public_id == topup_id))
        self.db.rollback()
        assert self.deliver("payment_intent.succeeded", self.fake.pay(intent_id)).json["outcome"] == "credited"
        return topup_id, intent_id

    def get(self, path, person=None, **kwargs):
        return self.client.get(path, headers=self.headers(person or self.finance), **kwargs)

    def post(self, path, person=None, **kwargs):
        return self.client.post(path, headers=self.headers(person or self.finance), **kwargs)

    def balance(self, kind):
        self.db.rollback()
        accounts = self.db.scalars(select(LedgerAccount).where(LedgerAccount.kind == kind)).all()
        total = sum(account_balance(self.db, a).amount for a in accounts)
        self.db.rollback()
        return total

    def entries(self, kind):
        self.db.rollback()
        count = self.db.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == kind))
        self.db.rollback()
        return count

    def audit_clean(self):
        assert_audit_clean(self.db)


@pytest.fixture
def world(client, db, stripe_fake, app_ctx):
    return World(client, db, stripe_fake)
