"""Real concurrency on PostgreSQL: many workers paying from one wallet through the HTTP API."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from backend.fees.models import Fee, FeePayment
from backend.fees.services import fee_types_of
from backend.ledger.audit import run_audit
from backend.ledger.models import JournalEntry
from tests.fees.helpers import make_world, wallet_balance
from tests.support.ledger import fund_wallet

pytestmark = pytest.mark.postgres_only

WORKERS, PAYMENTS_EACH, FEE = 50, 20, 100


def _outstanding_fees(session, world, patron, count, amount):
    other = next(t for t in fee_types_of(session, world.library.network) if t.code == "other")
    fees = [
        Fee(
            network_id=world.library.network_id,
            library_id=world.library.id,
            patron_id=patron.id,
            fee_type_id=other.id,
            amount=amount,
            currency="EUR",
            charged_by="test",
        )
        for _ in range(count)
    ]
    session.add_all(fees)
    session.commit()
    return [fee.public_id for fee in fees]


def test_fifty_workers_paying_from_one_wallet_never_overspend(app, db, app_ctx):
    world = make_world(db)
    fee_ids = _outstanding_fees(db, world, world.alice, WORKERS * PAYMENTS_EACH, FEE)
    affordable = 237
    fund_wallet(db, world.alice, affordable * FEE + 50)  # 50 cents too few for one more
    db.commit()
    headers = [world.idem(world.alice) for _ in fee_ids]  # one token + key per payment
    start = threading.Barrier(WORKERS)

    def worker(n):
        client = app.test_client()
        start.wait()
        statuses = []
        for i in range(PAYMENTS_EACH):
            k = n * PAYMENTS_EACH + i
            response = client.post("/v1/fees/payments", json={"fee_ids": [fee_ids[k]]}, headers=headers[k])
            statuses.append((response.status_code, (response.get_json() or {}).get("error", {}).get("code")))
        return statuses

    with ThreadPoolExecutor(WORKERS) as pool:
        results = [s for batch in pool.map(worker, range(WORKERS)) for s in batch]

    assert results.count((201, None)) == affordable
    assert results.count((422, "insufficient_funds")) == len(fee_ids) - affordable
    assert wallet_balance(db, world.alice) == (50, 0)
    assert db.scalar(select(func.count()).select_from(Fee).where(Fee.status == "paid")) == affordable
    assert (
        db.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "fee_payment"))
        == affordable
    )
    report = run_audit(db)
    db.commit()
    assert report.clean, report.problems


def test_the_same_payment_retried_from_ten_threads_is_charged_once(app, db, app_ctx):
    world = make_world(db)
    [fee_id] = _outstanding_fees(db, world, world.alice, 1, 700)
    fund_wallet(db, world.alice, 1000)
    db.commit()
    headers = world.idem(world.alice, "retry-me")
    start = threading.Barrier(10)

    def attempt(_):
        client = app.test_client()
        start.wait()
        response = client.post("/v1/fees/payments", json={"fee_ids": [fee_id]}, headers=headers)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(attempt, range(10)))

    paid = [body["id"] for status, body in answers if status == 201]
    in_progress = [body for status, body in answers if status == 409]
    assert len(paid) + len(in_progress) == 10 and paid, answers
    assert len(set(paid)) == 1
    assert all(body["error"]["code"] == "idempotency_request_in_progress" for body in in_progress)
    # A retry after the dust settles replays the same payment.
    replay = app.test_client().post("/v1/fees/payments", json={"fee_ids": [fee_id]}, headers=headers)
    assert replay.status_code == 201 and replay.get_json()["id"] == paid[0]
    assert wallet_balance(db, world.alice) == (300, 0)
    assert db.scalar(select(func.count()).select_from(FeePayment)) == 1
    report = run_audit(db)
    db.commit()
    assert report.clean, report.problems


def test_one_fee_paid_from_ten_devices_and_waived_at_once_is_settled_once(app, db, app_ctx):
    # Different Idempotency-Keys: only the guarded claim stands between these requests.
    world = make_world(db)
    [fee_id] = _outstanding_fees(db, world, world.alice, 1, 700)
    fund_wallet(db, world.alice, 5000)
    db.commit()
    payers = [world.idem(world.alice) for _ in range(10)]
    waiver = world.idem(world.librarian)
    start = threading.Barrier(11)

    def pay(headers):
        client = app.test_client()
        start.wait()
        response = client.post("/v1/fees/payments", json={"fee_ids": [fee_id]}, headers=headers)
        return response.status_code, (response.get_json() or {}).get("error", {}).get("code")

    def waive():
        client = app.test_client()
        start.wait()
        return client.post(f"/v1/fees/{fee_id}/waive", json={"reason": "chiusura pratica"}, headers=waiver).status_code

    with ThreadPoolExecutor(11) as pool:
        waived = pool.submit(waive)
        answers = list(pool.map(pay, payers))
    assert waived.result() == 200

    refused = [code for status, code in answers if status == 409]
    assert len([a for a in answers if a[0] == 201]) + len(refused) == 10, answers
    assert set(refused) <= {"fee_not_outstanding", "fee_changed"}
    paid = db.scalar(select(func.count()).select_from(FeePayment))
    assert paid <= 1
    # Waived before any payment: nothing charged; waived after the one payment: refunded.
    assert wallet_balance(db, world.alice) == (5000, 0)
    assert db.scalar(select(Fee.status).where(Fee.public_id == fee_id)) == "waived"
    report = run_audit(db)
    db.commit()
    assert report.clean, report.problems
