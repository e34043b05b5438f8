from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.ledger.audit import run_audit
from backend.topups.models import PagopaNotice, Topup
from backend.topups.provider import NOTICE_EXTENSION
from payments.pagopa import GpdProvider
from tests.pagopa.fake_gpd import BASE_URL, RECEIPTS_URL, SUBSCRIPTION_KEY, FakeGpd
from tests.support.factories import bearer, make_library, make_network, make_patron

FISCAL_CODE = "80012345676"
IBAN = "IT60X0542811101000000123456"
NOTIFICATION_KEY = "notify-key-0123456789"


@pytest.fixture
def pagopa_settings(app):
    """The app with a network that offers both channels, one with pagoPA only, one with cards only."""
    before = app.config["SETTINGS"]
    app.config["SETTINGS"] = before.with_overrides(
        topup_channels="PAGO=stripe+pagopa;ONLYPA=pagopa;*=stripe",
        pagopa_creditors=f"PAGO={FISCAL_CODE}:01:{IBAN};ONLYPA=80098765433:02:IT07X0542811101000000654321",
        pagopa_notification_key=NOTIFICATION_KEY,
    )
    yield app.config["SETTINGS"]
    app.config["SETTINGS"] = before


@pytest.fixture
def gpd(app, pagopa_settings):
    fake = FakeGpd()
    app.extensions[NOTICE_EXTENSION] = GpdProvider(
        base_url=BASE_URL, receipts_url=RECEIPTS_URL, subscription_key=SUBSCRIPTION_KEY, transport=fake.transport
    )
    yield fake
    app.extensions.pop(NOTICE_EXTENSION, None)


@pytest.fixture
def patron(db):
    network = make_network(db, code="PAGO")
    person = make_patron(db, network, make_library(db, network))
    db.commit()
    return person


def count(db, model, *where):
    db.rollback()
    n = db.scalar(select(func.count()).select_from(model).where(*where))
    db.rollback()
    return n


class Api:
    def __init__(self, client, db, gpd):
        self.client, self.db, self.gpd = client, db, gpd

    def start(self, patron, amount=2000, key=None, method="pagopa", **extra):
        return self.client.post(
            "/v1/wallet/topups",
            json={"amount": {"amount": amount, "currency": "EUR"}, "method": method, **extra},
            headers={**bearer(patron), "Idempotency-Key": key or str(uuid.uuid4())},
        )

    def started(self, patron, amount=2000):
        response = self.start(patron, amount)
        assert response.status_code == 201, response.json
        return response.json["topup"]

    def notify(self, iuv, fiscal_code=FISCAL_CODE, key=NOTIFICATION_KEY, **extra):
        headers = {"Ocp-Apim-Subscription-Key": key} if key is not None else {}
        return self.client.post(
            "/v1/payments/pagopa/receipts",
            json={"fiscalCode": fiscal_code, "creditorReferenceId": iuv, **extra},
            headers=headers,
        )

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

    def age(self, topup_id, *, created=None, due=None):
        """Move a notice's clock: created ``created`` ago, due ``due`` from now (negative: past)."""
        from backend.db import utcnow

        self.db.rollback()
        topup = self.db.scalar(select(Topup).where(Topup.public_id == topup_id))
        values = {}
        if created is not None:
            values["created_at"] = utcnow() - created
        if due is not None:
            values["due_at"] = utcnow() + due
        self.db.execute(update(PagopaNotice).where(PagopaNotice.topup_id == topup.id).values(**values))
        self.db.commit()

    def settle(self, app):
        from backend.topups.jobs import settle_pagopa
        from backend.topups.provider import get_notice_provider

        return settle_pagopa(app.extensions["borsellino.db"], get_notice_provider(app), app.config["SETTINGS"])

    def audit_clean(self):
        self.db.rollback()
        report = run_audit(self.db)
        self.db.rollback()
        assert report.clean, report.problems


@pytest.fixture
def api(client, db, gpd, app_ctx):
    return Api(client, db, gpd)


PAST = timedelta(minutes=30)
