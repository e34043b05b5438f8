"""Real concurrency on PostgreSQL: identical top-up requests and receipts delivered many times at once."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from backend.ledger.models import FundingLot, JournalEntry
from backend.receipts.models import Receipt
from backend.topups.models import PagopaNotice, Topup
from tests.pagopa.conftest import FISCAL_CODE, NOTIFICATION_KEY, PAST, count
from tests.support.factories import bearer

pytestmark = pytest.mark.postgres_only

THREADS = 8


def test_concurrent_identical_requests_create_one_debt_position(api, app, patron):
    headers = {**bearer(patron), "Idempotency-Key": str(uuid.uuid4())}
    body = {"amount": {"amount": 2000, "currency": "EUR"}, "method": "pagopa"}
    start = threading.Barrier(THREADS)

    def request(_):
        client = app.test_client()
        start.wait()
        response = client.post("/v1/wallet/topups", json=body, headers=headers)
        return response.status_code, (response.get_json() or {}).get("topup", {}).get("id")

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(request, range(THREADS)))
    created = {topup_id for status, topup_id in results if status == 201}
    assert len(created) == 1, results
    assert all(status in (201, 409) for status, _ in results), results
    assert len(api.gpd.calls_to("POST", r".*/organizations/80012345676/debtpositions")) == 1
    assert count(api.db, Topup) == count(api.db, PagopaNotice) == 1


def test_a_receipt_notified_many_times_at_once_and_polled_by_the_job_credits_once(api, app, patron):
    topups = [api.started(patron, 1000 + n) for n in range(3)]
    for topup in topups:
        api.age(topup["id"], created=PAST)
        api.gpd.pay(FISCAL_CODE, topup["pagopa"]["iuv"])
    # Every receipt, several times each, shuffled across the notices, with the settle job in the middle.
    deliveries = [t["pagopa"]["iuv"] for t in reversed(topups) for _ in range(THREADS // 2)]
    deliveries.insert(len(deliveries) // 2, "settle")
    start = threading.Barrier(len(deliveries))

    def deliver(what):
        client = app.test_client()
        start.wait()
        if what == "settle":
            return api.settle(app)
        response = client.post(
            "/v1/payments/pagopa/receipts",
            json={"fiscalCode": FISCAL_CODE, "creditorReferenceId": what},
            headers={"Ocp-Apim-Subscription-Key": NOTIFICATION_KEY},
        )
        return response.status_code, (response.get_json() or {}).get("outcome")

    with ThreadPoolExecutor(len(deliveries)) as pool:
        results = list(pool.map(deliver, deliveries))
    settled = next(r for r in results if isinstance(r, dict))
    answers = [r for r in results if not isinstance(r, dict)]
    assert all(status == 200 for status, _ in answers), answers
    credits = sum(1 for _, outcome in answers if outcome == "credited") + settled.get("pagopa_credited", 0)
    assert credits == 3, results
    assert api.balance(patron) == 1000 + 1001 + 1002
    assert count(api.db, JournalEntry, JournalEntry.kind == "topup_pagopa") == 3
    assert count(api.db, FundingLot, FundingLot.source == "pagopa") == 3
    assert count(api.db, Receipt, Receipt.method == "pagopa") == 3
    api.db.rollback()
    assert set(api.db.scalars(select(Topup.status))) == {"succeeded"}
    api.audit_clean()
