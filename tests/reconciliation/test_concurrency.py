"""Exactly once under concurrency (PostgreSQL, real threads): payouts booked once, settlements paid once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from backend.finance.reconciliation.models import ReconciliationRun, StatementLine
from backend.ledger.models import JournalEntry
from tests.reconciliation.test_partner_settlements import MONTH, URL
from tests.reconciliation.test_partner_settlements import World as SettlementWorld
from tests.reconciliation.test_stripe_payouts import _month
from tests.support.factories import bearer
from tests.support.threads import race
from tests.topups.fake_stripe import event, signed

pytestmark = pytest.mark.postgres_only


def _webhook(payout_id, event_id):
    payload = event("payout.paid", {"id": payout_id}, event_id)
    return lambda c: c.post("/v1/payments/webhook", data=payload, headers=signed(payload))


def _scheduled_job(app):
    def call(_client):
        from backend.jobs.entries import reconcile_card_payouts

        with app.app_context():
            return reconcile_card_payouts()

    return call


def _count(db, stmt):
    db.rollback()
    value = db.scalar(stmt)
    db.rollback()
    return value


def test_the_webhook_and_the_scheduled_job_on_the_same_payout_book_it_once(app, world):
    payout, _ = _month(world)
    world.db.rollback()
    hook, job = race(app, [_webhook(payout["id"], "evt_race"), _scheduled_job(app)])
    assert hook.status_code == 200 and hook.json["outcome"] == "payout_reconciled", hook.json
    assert job["failed"] == 0 and job["new"] + job["rerun"] == 1, job
    assert world.entries("card_payout") == 1
    assert _count(world.db, select(func.count()).select_from(ReconciliationRun)) == 1
    lines = _count(world.db, select(func.count()).select_from(StatementLine))
    assert lines == len([t for t in world.fake.payout_lines[payout["id"]] if t["type"] != "payout"])
    # What reached the bank is the payout, once.
    assert world.balance("bank") == payout["amount"]
    world.audit_clean()


def test_two_deliveries_of_payout_paid_at_once_book_it_once(app, world):
    payout, _ = _month(world)
    world.db.rollback()
    results = race(app, [_webhook(payout["id"], f"evt_{i}") for i in range(2)])
    assert [r.status_code for r in results] == [200, 200], [r.json for r in results]
    assert {r.json["outcome"] for r in results} == {"payout_reconciled"}
    assert world.entries("card_payout") == 1
    assert world.balance("bank") == payout["amount"]
    world.audit_clean()


def test_two_finance_users_marking_the_same_settlement_paid_book_one_entry(app, client, db, app_ctx):
    world = SettlementWorld(client, db)
    computed = world.post(URL, json={"month": MONTH}).json
    settlement = next(s for s in computed["data"] if s["partner_name"] == "Cinema Teatro Roma")
    assert world.post(f"{URL}/{settlement['id']}/approve", world.admin).status_code == 200
    headers = [{**bearer(who), "Idempotency-Key": str(uuid.uuid4())} for who in (world.finance, world.admin)]
    db.commit()
    results = race(
        app,
        [
            lambda c, h=h, ref=ref: c.post(
                f"{URL}/{settlement['id']}/paid", json={"transfer_reference": ref}, headers=h
            )
            for h, ref in zip(headers, ("TRN-A", "TRN-B"), strict=True)
        ],
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.json for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json["error"]["code"] == "settlement_not_approved"
    winner = next(r for r in results if r.status_code == 200)
    entries = _count(
        db,
        select(func.count())
        .select_from(JournalEntry)
        .where(JournalEntry.kind == "partner_settlement", JournalEntry.reference == settlement["id"]),
    )
    assert entries == 1
    shown = world.client.get(URL, query_string={"month": MONTH}, headers=bearer(world.finance)).json
    paid = next(s for s in shown["data"] if s["id"] == settlement["id"])
    assert paid["status"] == "paid" and paid["transfer_reference"] == winner.json["transfer_reference"]
