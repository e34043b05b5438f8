"""Closing a month: the ledger refuses postings dated inside it; corrections are reversals in the open period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.auth.principal import Principal
from backend.db import utcnow
from backend.errors import DomainError
from backend.finance.models import StaffAuditEvent
from backend.finance.periods import close_period, reopen_period
from backend.ledger.audit import run_audit
from backend.ledger.models import ClosedPeriod, ClosedPeriodBalance, JournalEntry, Posting
from backend.ledger.periods import month_bounds, month_of
from backend.ledger.services import reverse_entry
from tests.finance.helpers import auth, inside, last_month, make_net, pay_fee, top_up
from tests.support.factories import make_patron


def _principal(staff):
    return Principal(subject=staff.public_id, role=staff.role, network_id=staff.network.public_id)


def _counts(session):
    counts = (
        session.scalar(select(func.count()).select_from(JournalEntry)),
        session.scalar(select(func.count()).select_from(Posting)),
        session.scalar(select(func.count()).select_from(ClosedPeriod)),
        session.scalar(select(func.count()).select_from(ClosedPeriodBalance)),
        session.scalar(select(func.count()).select_from(StaffAuditEvent)),
    )
    session.rollback()
    return counts


@pytest.fixture
def closed(db, client):
    """Network A with last month's money (a top-up and a fee), closed by its finance user."""
    a = make_net(db)
    month = last_month()
    top_up(db, a.patron, 5000, dated=inside(month, 3))
    pay_fee(db, a.patron, a.library, 1200, dated=inside(month, 5))
    db.commit()
    response = client.post("/v1/finance/periods", json={"month": month}, headers=auth(a.finance))
    assert response.status_code == 201, response.get_json()
    return a, month, response.get_json()


def test_the_close_stores_every_accounts_balance_and_it_sums_to_zero(closed):
    a, month, body = closed
    assert body["state"] == "closed" and body["month"] == month
    by_kind = {line["kind"]: line for line in body["trial_balance"]}
    assert by_kind["wallet"]["credit"] == {"amount": 3800, "currency": "EUR"}
    assert by_kind["fee_income"]["credit"] == {"amount": 1200, "currency": "EUR"}
    # The card clearing is shared by every network: the network's part of it is one line.
    assert by_kind["shared"]["debit"] == {"amount": 5000, "currency": "EUR"}
    assert body["total_debit"] == body["total_credit"] == {"amount": 5000, "currency": "EUR"}


def test_the_stored_trial_balance_shows_the_patrons_wallets_as_one_line_never_one_by_one(db, client):
    """Stored per account, shown per kind: no patron's balance to set against their journal lines."""
    a = make_net(db)
    other = make_patron(db, a.network, a.library)
    month = last_month()
    top_up(db, a.patron, 5000, dated=inside(month, 3))
    top_up(db, other, 700, dated=inside(month, 4))
    pay_fee(db, other, a.library, 200, dated=inside(month, 5))
    db.commit()
    body = client.post("/v1/finance/periods", json={"month": month}, headers=auth(a.finance)).get_json()
    assert _counted_balances(db, body) == 4  # both wallets, the fee income, the shared counterpart
    wallets = [line for line in body["trial_balance"] if line["kind"] == "wallet"]
    assert wallets == [
        {
            "account_id": None,
            "kind": "wallet",
            "key": "wallet:patrons",
            "debit": {"amount": 0, "currency": "EUR"},
            "credit": {"amount": 5500, "currency": "EUR"},
        }
    ]
    shown = client.get(f"/v1/finance/periods/{month}", headers=auth(a.finance)).get_json()
    assert shown["trial_balance"] == body["trial_balance"] and len(shown["trial_balance"]) == 3
    assert shown["total_debit"] == shown["total_credit"] == {"amount": 5700, "currency": "EUR"}
    for patron in (a.patron, other):
        assert patron.public_id not in str(shown)


def _counted_balances(session, body) -> int:
    period = session.scalar(select(ClosedPeriod).where(ClosedPeriod.public_id == body["public_id"]))
    count = session.scalar(
        select(func.count()).select_from(ClosedPeriodBalance).where(ClosedPeriodBalance.period_id == period.id)
    )
    session.rollback()
    return count


def test_a_posting_dated_inside_a_closed_month_is_refused_and_nothing_is_written(closed, db):
    a, month, _ = closed
    before = _counts(db)
    with pytest.raises(DomainError) as refused:
        pay_fee(db, a.patron, a.library, 100, dated=inside(month, 20))
    assert refused.value.error.code == "period_closed"
    assert refused.value.extra["month"] == month
    db.rollback()
    assert _counts(db) == before
    # Now-dated postings go on: the open period.
    pay_fee(db, a.patron, a.library, 100)
    db.commit()
    assert run_audit(db).clean


def test_another_networks_open_month_still_takes_back_dated_postings(closed, db):
    a, month, _ = closed
    b = make_net(db)
    db.commit()
    top_up(db, b.patron, 700, dated=inside(month, 20))
    db.commit()


def test_a_correction_is_a_reversal_in_the_open_period_and_the_stored_balance_is_unchanged(closed, db, client):
    a, month, body = closed
    fee_entry = db.scalars(select(JournalEntry).where(JournalEntry.kind == "fee_payment")).one()
    reversal = reverse_entry(db, fee_entry, memo="fee charged twice")
    db.commit()
    assert month_of(reversal.created_at) == month_of(utcnow()) != month
    again = client.get(f"/v1/finance/periods/{month}", headers=auth(a.finance)).get_json()
    assert again["trial_balance"] == body["trial_balance"]
    assert run_audit(db).clean


def test_closing_twice_or_an_unfinished_month_is_refused(closed, db, client):
    a, month, _ = closed
    before = _counts(db)
    twice = client.post("/v1/finance/periods", json={"month": month}, headers=auth(a.finance))
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "period_already_closed"
    current = client.post("/v1/finance/periods", json={"month": month_of(utcnow())}, headers=auth(a.finance))
    assert current.status_code == 422 and current.get_json()["error"]["code"] == "period_not_ended"
    # A month that ended a moment ago: an entry dated "now" before its end may still be committing.
    earlier = last_month(month_bounds(month)[0])
    _, ends_at = month_bounds(earlier)
    with pytest.raises(DomainError) as too_soon:
        close_period(db, _principal(a.finance), earlier, now=ends_at + timedelta(minutes=1))
    assert too_soon.value.error.code == "period_not_ended"
    db.rollback()
    for month_text in ("2026-13", "0000-01", "9999-12", "19700-01"):
        bad = client.post("/v1/finance/periods", json={"month": month_text}, headers=auth(a.finance))
        assert bad.status_code == 400
    for path in ("/v1/finance/periods/0000-01", "/v1/finance/reports/0000-01/trial_balance"):
        assert client.get(path, headers=auth(a.finance)).status_code == 400
    assert _counts(db) == before


def test_only_an_admin_reopens_and_both_are_audited(closed, db, client):
    a, month, _ = closed
    before = _counts(db)
    by_finance = client.post(
        f"/v1/finance/periods/{month}/reopen", json={"reason": "late invoice"}, headers=auth(a.finance)
    )
    assert by_finance.status_code == 403
    assert _counts(db) == before
    for reason in ("", "   ", " ab ", "x" * 301):
        short = client.post(f"/v1/finance/periods/{month}/reopen", json={"reason": reason}, headers=auth(a.admin))
        assert short.status_code == 400, short.get_json()
        assert short.get_json()["error"]["param"] == "reason"
        assert _counts(db) == before
    with pytest.raises(DomainError) as refused:  # the service itself, whoever calls it
        reopen_period(db, _principal(a.admin), month, reason=" \n ")
    assert refused.value.error.code == "reopen_reason_required"
    db.rollback()
    assert _counts(db) == before

    reopened = client.post(
        f"/v1/finance/periods/{month}/reopen", json={"reason": "late invoice"}, headers=auth(a.admin)
    )
    assert reopened.status_code == 200, reopened.get_json()
    assert reopened.get_json()["state"] == "reopened"
    assert reopened.get_json()["reopened_by"] == a.admin.public_id
    # Open again: a back-dated posting goes in.
    pay_fee(db, a.patron, a.library, 100, dated=inside(month, 20))
    db.commit()

    events = db.scalars(select(StaffAuditEvent).order_by(StaffAuditEvent.id)).all()
    actions = [(e.action, e.actor) for e in events]
    assert ("period.close", a.finance.public_id) in actions
    assert ("period.reopen", a.admin.public_id) in actions
    reopen = next(e for e in events if e.action == "period.reopen")
    assert reopen.before["state"] == "closed" and reopen.after == {
        "month": month,
        "state": "reopened",
        "reason": "late invoice",
    }

    again = client.post(f"/v1/finance/periods/{month}/reopen", json={"reason": "again"}, headers=auth(a.admin))
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "period_not_closed"
    # And it can be closed again, with a new stored balance.
    closed_again = client.post("/v1/finance/periods", json={"month": month}, headers=auth(a.finance))
    assert closed_again.status_code == 201
    assert closed_again.get_json()["public_id"] != reopened.get_json()["public_id"]


def test_another_networks_finance_sees_nothing_of_it(closed, db, client):
    a, month, _ = closed
    b = make_net(db)
    db.commit()
    assert client.get(f"/v1/finance/periods/{month}", headers=auth(b.finance)).status_code == 404
    assert client.get("/v1/finance/periods", headers=auth(b.finance)).get_json() == {"data": []}
    refused = client.post(f"/v1/finance/periods/{month}/reopen", json={"reason": "not mine"}, headers=auth(b.admin))
    assert refused.status_code == 422
    for person in (a.librarian, a.patron):
        assert client.get("/v1/finance/periods", headers=auth(person)).status_code == 403
