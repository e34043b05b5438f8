"""Closed periods: a network's month that no posting may be dated inside, and its stored trial balance.

The ledger enforces it (``post_entry`` calls ``refuse_if_closed`` for an entry dated in
the past); finance decides when to close and an admin when to reopen
(``backend.finance.periods``). Months are Europe/Rome calendar months.

Entries are dated when they are posted unless a caller dates them explicitly
(``post_entry(dated=…)``). A month can only be closed once it ended ``CLOSE_GRACE``
ago by the server's clock, so an entry dated "now" (even one whose transaction is
still committing when the month ends) is never inside a closed period and the check
costs nothing on the payment paths; only a back-dated entry reads this table.

A back-dated entry and a close of its month are serialized (``lock_month``, on
PostgreSQL): the entry takes the month's lock shared, the close exclusive, so the
entry either commits before the close computes the trial balance (and is in it) or
sees the close and is refused. SQLite runs one writer at a time already.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.errors import DomainError
from backend.i18n import ROME
from backend.ledger.errors import PERIOD_CLOSED
from backend.ledger.models import ClosedPeriod, LedgerAccount, PeriodState, Posting

# How long after a month ends it may be closed: longer than any transaction that dated
# an entry "now" before the month ended can take to commit.
CLOSE_GRACE = timedelta(minutes=5)

# Names the closed-period locks among the advisory locks (the two-key form: this, the month's hash).
_PERIOD_LOCK = 0x50455244

# Years 1970–2999: a month outside is no month of these books (and year 0 is no date at all).
MONTH = re.compile(r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"2026-11"`` → (its first instant, the next month's first instant), Europe/Rome, as aware datetimes."""
    match = MONTH.match(month)
    if not match:
        raise ValueError(f"not a month: {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1, tzinfo=ROME)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=ROME)
    return start, end


def month_of(moment: datetime) -> str:
    """The Europe/Rome month of an aware moment, ``YYYY-MM``."""
    return moment.astimezone(ROME).strftime("%Y-%m")


def closed_period_at(session: Session, network_ids: Iterable[int], moment: datetime) -> ClosedPeriod | None:
    """The closed period of one of ``network_ids`` that contains ``moment``, if any."""
    ids = sorted(set(network_ids))
    if not ids:
        return None
    return session.scalar(
        select(ClosedPeriod)
        .where(
            ClosedPeriod.network_id.in_(ids),
            ClosedPeriod.state == PeriodState.CLOSED,
            ClosedPeriod.starts_at <= moment,
            ClosedPeriod.ends_at > moment,
        )
        .limit(1)
    )


def lock_month(session: Session, network_id: int, month: str, *, exclusive: bool) -> None:
    """The network's month lock, held until the transaction ends (PostgreSQL; a no-op on SQLite).

    Shared for an entry back-dated into the month (many may post at once), exclusive
    for its close (which then waits for them, and they for it).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(
        text(f"SELECT {function}(:space, hashtext(:month))"),
        {"space": _PERIOD_LOCK, "month": f"{network_id}:{month}"},
    )


def refuse_if_closed(session: Session, network_ids: Iterable[int], moment: datetime, *, param: str = "dated") -> None:
    """422 ``period_closed`` when ``moment`` is inside a closed period of one of the networks.

    Takes each network's month lock shared first, so a close running at the same
    time is either seen here or waits for this transaction (see ``lock_month``).
    """
    network_ids = sorted(set(network_ids))  # one order for every caller: no lock cycles
    month = month_of(moment)
    for network_id in network_ids:
        lock_month(session, network_id, month, exclusive=False)
    closed = closed_period_at(session, network_ids, moment)
    if closed is not None:
        raise DomainError(PERIOD_CLOSED, param=param, month=closed.month)


@dataclass(frozen=True)
class BalanceLine:
    """One account's signed total (debit > 0) up to a moment; ``account`` None is the shared counterpart."""

    account: LedgerAccount | None
    amount: int


def trial_balance(session: Session, network_id: int, until: datetime, currency: str = "EUR") -> list[BalanceLine]:
    """Every account of the network with its signed balance at ``until`` (exclusive), then one line for
    the network's counterpart in the shared accounts, so the lines always sum to zero.

    Shared accounts (the card processor's clearing, lost disputes) belong to no network; what a
    network's entries put on them is the counterpart line, computed per entry so it never
    shows another network's money.
    """
    totals = session.execute(
        select(LedgerAccount, func.sum(Posting.amount))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.network_id == network_id,
            LedgerAccount.currency == currency,
            Posting.created_at < until,
        )
        .group_by(LedgerAccount.id)
        .order_by(LedgerAccount.kind, LedgerAccount.key)
    ).all()
    lines = [BalanceLine(account, int(total)) for account, total in totals if int(total) != 0]
    rest = -sum(line.amount for line in lines)
    if rest:
        lines.append(BalanceLine(None, rest))
    return lines
