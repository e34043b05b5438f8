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


def test_a_back_dated_slip_racing_the_close_of_its_month_is_refused_or_in_the_stored_trial_balance(
    app, client, db, app_ctx
):
    """Four past months, each closed while a slip dated in it is recorded. In two rounds the slip's
    entry is written (its check passed) but not committed when the close starts: the close must
    wait for it and store it. In the others they simply start together."""
    import threading
    from datetime import timedelta

    from backend.db import utcnow
    from backend.finance.reconciliation.models import CashDeposit
    from backend.i18n import ROME
    from backend.ledger import services as ledger
    from backend.ledger.models import ClosedPeriod, ClosedPeriodBalance
    from backend.ledger.periods import month_bounds, trial_balance
    from tests.reconciliation.test_cash import CASH, Desks, _eur

    desks = Desks(client, db)
    first = utcnow().astimezone(ROME).date().replace(day=1)
    meet = threading.Barrier(2)
    held = {"on": False}

    def hold_the_slip(_session, entry, _legs):
        if held["on"] and entry.kind == "cash_deposit":
            meet.wait()  # the slip's entry is written, its transaction still open

    ledger.register_entry_hook(hold_the_slip)
    try:
        for back in range(1, 5):
            held["on"] = back % 2 == 1
            slip_day = first - timedelta(days=1)
            first = slip_day.replace(day=1)
            month = slip_day.strftime("%Y-%m")
            sid = desks.session(desks.desks[0], 1_000, [2_500], counted=3_500)
            deposit = {
                "library_id": desks.rho.public_id,
                "amount": _eur(2_500),
                "deposited_on": slip_day.isoformat(),
                "slip_number": f"R-{back}",
                "session_ids": [sid],
            }
            heads = [{**bearer(desks.finance), "Idempotency-Key": str(uuid.uuid4())} for _ in range(2)]
            db.commit()

            def close(c, month=month, wait=held["on"], head=heads[0]):
                if wait:
                    meet.wait()
                return c.post("/v1/finance/periods", json={"month": month}, headers=head)

            closed, slipped = race(
                app, [close, lambda c, body=deposit, head=heads[1]: c.post(f"{CASH}/deposits", json=body, headers=head)]
            )
            assert closed.status_code == 201, closed.get_json()
            assert slipped.status_code in (201, 422), slipped.get_json()
            db.rollback()
            period = db.scalars(select(ClosedPeriod).where(ClosedPeriod.month == month)).one()
            stored = {
                b.account_id: b.amount
                for b in db.scalars(select(ClosedPeriodBalance).where(ClosedPeriodBalance.period_id == period.id))
            }
            # What the month holds now is exactly what its close stored: nothing slipped in behind it.
            holds = trial_balance(db, desks.network.id, month_bounds(month)[1])
            assert stored == {line.account.id if line.account else None: line.amount for line in holds}
            recorded = db.scalar(
                select(func.count()).select_from(CashDeposit).where(CashDeposit.slip_number == f"R-{back}")
            )
            if slipped.status_code == 422:
                assert not held["on"] and slipped.get_json()["error"]["code"] == "period_closed"
                assert recorded == 0
            else:
                assert recorded == 1
            db.rollback()
    finally:
        ledger._ENTRY_HOOKS.remove(hold_the_slip)
