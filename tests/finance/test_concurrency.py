"""Exactly once under concurrency (PostgreSQL, real threads): a month closed once, a transfer paid once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from backend.finance.models import StaffAuditEvent
from backend.ledger.audit import run_audit
from backend.ledger.models import ClosedPeriod, ClosedPeriodBalance, JournalEntry
from tests.finance.helpers import auth, inside, last_month, make_net, pay_fee, top_up
from tests.finance.test_clearing import _five
from tests.support.threads import race

pytestmark = pytest.mark.postgres_only


def _counted(db, stmt):
    db.rollback()
    value = db.scalar(stmt)
    db.rollback()
    return value


def test_two_closes_of_the_same_month_at_once_close_it_once_with_one_trial_balance(app, client, db, app_ctx):
    a = make_net(db)
    month = last_month()
    top_up(db, a.patron, 5000, dated=inside(month, 3))
    pay_fee(db, a.patron, a.library, 1200, dated=inside(month, 5))
    db.commit()
    headers = [auth(a.finance), auth(a.admin)]
    db.commit()
    results = race(
        app, [lambda c, h=h: c.post("/v1/finance/periods", json={"month": month}, headers=h) for h in headers]
    )
    assert sorted(r.status_code for r in results) == [201, 409], [r.get_json() for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.get_json()["error"]["code"] == "period_already_closed"
    winner = next(r for r in results if r.status_code == 201).get_json()
    assert _counted(db, select(func.count()).select_from(ClosedPeriod)) == 1
    stored = _counted(db, select(func.count()).select_from(ClosedPeriodBalance))
    assert stored == len(winner["trial_balance"]) > 0
    closes = _counted(
        db, select(func.count()).select_from(StaffAuditEvent).where(StaffAuditEvent.action == "period.close")
    )
    assert closes == 1


def test_payer_finance_and_admin_marking_one_transfer_paid_at_once_book_one_entry(app, client, db, app_ctx):
    nets, month = _five(db)
    body = client.post("/v1/finance/clearing", json={"month": month}, headers=auth(nets["A"].finance)).get_json()
    transfer = body["transfers"][0]
    payer = next(net for net in nets.values() if net.network.public_id == transfer["payer"]["id"])
    headers = [{**auth(who), "Idempotency-Key": str(uuid.uuid4())} for who in (payer.finance, payer.admin)]
    db.commit()
    url = f"/v1/finance/clearing/transfers/{transfer['public_id']}/paid"
    results = race(
        app,
        [
            lambda c, h=h, ref=ref: c.post(url, json={"bank_reference": ref}, headers=h)
            for h, ref in zip(headers, ("TRN-A", "TRN-B"), strict=True)
        ],
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    assert next(r for r in results if r.status_code == 409).get_json()["error"]["code"] == "transfer_not_due"
    entries = _counted(
        db,
        select(func.count())
        .select_from(JournalEntry)
        .where(JournalEntry.kind == "network_settlement", JournalEntry.reference == transfer["public_id"]),
    )
    assert entries == 1
    paid = _counted(
        db, select(func.count()).select_from(StaffAuditEvent).where(StaffAuditEvent.action == "clearing.paid")
    )
    assert paid == 1
    assert run_audit(db).clean
    db.rollback()
