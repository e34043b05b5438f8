"""``borsellino ledger audit``: recompute everything from the postings and compare.

Checks that every entry has at least two postings in one currency summing to
zero; that every wallet's cached balance equals its postings and is not
negative; that its held amount equals its pending holds; and that its funding
lots add up to its balance; that the positions between networks sum to zero.
Reads only; the nightly job reports findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.ledger.models import RESERVING_HOLD_STATES, FundingLot, Hold, JournalEntry, LedgerAccount, Posting


@dataclass
class AuditReport:
    entries: int = 0
    postings: int = 0
    wallets: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        head = f"ledger audit: {self.entries} entries, {self.postings} postings, {self.wallets} wallets checked"
        return [
            head,
            "OK: no discrepancies" if self.clean else f"FAILED: {len(self.problems)} discrepancies",
            *("  - " + p for p in self.problems),
        ]


def run_audit(session: Session) -> AuditReport:
    report = AuditReport()
    report.entries = session.scalar(select(func.count()).select_from(JournalEntry)) or 0
    report.postings = session.scalar(select(func.count()).select_from(Posting)) or 0

    per_entry = session.execute(
        select(
            JournalEntry.public_id,
            func.count(Posting.id),
            func.coalesce(func.sum(Posting.amount), 0),
            func.count(func.distinct(Posting.currency)),
            func.min(Posting.currency),
            JournalEntry.currency,
        )
        .outerjoin(Posting, Posting.entry_id == JournalEntry.id)
        .group_by(JournalEntry.id, JournalEntry.public_id, JournalEntry.currency)
        .having(
            (func.count(Posting.id) < 2)
            | (func.coalesce(func.sum(Posting.amount), 0) != 0)
            | (func.count(func.distinct(Posting.currency)) != 1)
            | (func.min(Posting.currency) != JournalEntry.currency)
        )
    ).all()
    for public_id, count, total, currencies, _currency, _entry_currency in per_entry:
        report.problems.append(f"entry {public_id}: {count} postings summing to {total} in {currencies} currencies")

    posted = dict(
        session.execute(select(Posting.account_id, func.sum(Posting.amount)).group_by(Posting.account_id)).all()
    )
    pending = dict(
        session.execute(
            select(Hold.account_id, func.sum(Hold.amount))
            .where(Hold.status.in_(RESERVING_HOLD_STATES))
            .group_by(Hold.account_id)
        ).all()
    )
    lots = dict(
        session.execute(
            select(FundingLot.account_id, func.sum(FundingLot.remaining)).group_by(FundingLot.account_id)
        ).all()
    )
    # populate_existing: compare the stored balances, not copies cached in this session.
    for account in session.scalars(
        select(LedgerAccount).where(LedgerAccount.kind == "wallet").execution_options(populate_existing=True)
    ):
        report.wallets += 1
        expected = -int(posted.get(account.id, 0))
        name = f"wallet {account.key} ({account.currency})"
        if account.balance != expected:
            report.problems.append(f"{name}: cached balance {account.balance} but postings say {expected}")
        if expected < 0:
            report.problems.append(f"{name}: negative balance {expected}")
        if account.held != int(pending.get(account.id, 0)):
            report.problems.append(f"{name}: held {account.held} but pending holds sum to {pending.get(account.id, 0)}")
        if int(lots.get(account.id, 0)) != expected:
            report.problems.append(f"{name}: funding lots sum to {lots.get(account.id, 0)}, balance is {expected}")
    # What networks owe each other is a closed system: the settlement accounts and the
    # central clearing always sum to zero (a settlement paid moves both sides at once).
    for currency, total in session.execute(
        select(LedgerAccount.currency, func.sum(Posting.amount))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind.in_(("network_settlement", "network_clearing")))
        .group_by(LedgerAccount.currency)
    ):
        if int(total) != 0:
            report.problems.append(f"positions between networks ({currency}) sum to {total}, not zero")
    return report
