"""Closing a network's month: finance or an admin closes it, only an admin reopens it.

The rule itself is the ledger's (``backend.ledger.periods``: ``post_entry`` refuses a
posting dated inside a closed period). Here: who may close and reopen, the checks
before a close, the trial balance it stores, and the audit trail of both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.auth.principal import Principal
from backend.db import rows_changed, utcnow
from backend.errors import FORBIDDEN, NOT_FOUND, DomainError
from backend.finance import audit
from backend.finance.errors import (
    INVALID_MONTH,
    PERIOD_ALREADY_CLOSED,
    PERIOD_NOT_CLOSED,
    PERIOD_NOT_ENDED,
    REOPEN_REASON_REQUIRED,
)
from backend.ledger.models import PERIOD_TRANSITIONS, ClosedPeriod, ClosedPeriodBalance, PeriodState
from backend.ledger.periods import CLOSE_GRACE, MONTH, lock_month, month_bounds, trial_balance
from backend.states import transition


def network_of(session: Session, principal: Principal) -> Network:
    """The network a finance user or admin acts for (their scope; never another's)."""
    if principal.role not in ("finance", "admin") or not principal.network_id:
        raise DomainError(FORBIDDEN)
    return session.scalars(select(Network).where(Network.public_id == principal.network_id)).one()


def current_close(session: Session, network: Network, month: str) -> ClosedPeriod | None:
    """The month's latest close row (closed, or reopened), if it was ever closed."""
    return session.scalar(
        select(ClosedPeriod)
        .where(ClosedPeriod.network_id == network.id, ClosedPeriod.month == month)
        .order_by(ClosedPeriod.id.desc())
        .limit(1)
    )


def parse_month(month: str) -> str:
    """A month from a URL: ``YYYY-MM`` or 400 ``invalid_month``."""
    if not MONTH.match(month):
        raise DomainError(INVALID_MONTH, param="month")
    return month


def get_close(session: Session, principal: Principal, month: str) -> ClosedPeriod:
    """The month's latest close of the caller's network, or 404."""
    period = current_close(session, network_of(session, principal), parse_month(month))
    if period is None:
        raise DomainError(NOT_FOUND)
    return period


def list_closes(session: Session, principal: Principal) -> list[ClosedPeriod]:
    network = network_of(session, principal)
    return list(
        session.scalars(
            select(ClosedPeriod).where(ClosedPeriod.network_id == network.id).order_by(ClosedPeriod.id.desc())
        )
    )


def close_period(session: Session, principal: Principal, month: str, *, now: datetime | None = None) -> ClosedPeriod:
    """Close ``month`` for the caller's network and store its trial balance.

    Only a month that ended ``CLOSE_GRACE`` ago, by the server's clock as well as
    ``now``: entries are dated when posted, so none can then land inside it without
    being back-dated, which the ledger refuses. The month's exclusive lock makes a
    back-dated entry of the month committing meanwhile either wait for the close (and
    be refused) or be finished before the trial balance is read (and be in it).
    """
    network = network_of(session, principal)
    starts_at, ends_at = month_bounds(month)
    now = now or utcnow()
    if ends_at + CLOSE_GRACE > min(now, utcnow()):
        raise DomainError(PERIOD_NOT_ENDED, param="month", month=month)
    lock_month(session, network.id, month, exclusive=True)
    if session.scalar(
        select(ClosedPeriod.id).where(
            ClosedPeriod.network_id == network.id,
            ClosedPeriod.month == month,
            ClosedPeriod.state == PeriodState.CLOSED,
        )
    ):
        raise DomainError(PERIOD_ALREADY_CLOSED, param="month", month=month)
    period = ClosedPeriod(
        network_id=network.id,
        month=month,
        starts_at=starts_at,
        ends_at=ends_at,
        state=PeriodState.CLOSED,
        closed_by=principal.subject,
        created_at=now,
    )
    try:
        # Two closes at once: the partial unique index lets one win; the other is told.
        with session.begin_nested():
            session.add(period)
            session.flush()
    except IntegrityError:
        raise DomainError(PERIOD_ALREADY_CLOSED, param="month", month=month) from None
    lines = trial_balance(session, network.id, ends_at)
    session.add_all(
        ClosedPeriodBalance(
            period_id=period.id, account_id=line.account.id if line.account else None, amount=line.amount
        )
        for line in lines
    )
    session.flush()
    audit.record(
        session,
        "period.close",
        target=period.public_id,
        before={"month": month, "state": "open"},
        after={"month": month, "state": PeriodState.CLOSED, "accounts": len(lines)},
        principal=principal,
        now=now,
    )
    return period


def reopen_period(
    session: Session, principal: Principal, month: str, *, reason: str, now: datetime | None = None
) -> ClosedPeriod:
    """An admin reopens a closed month (the stored trial balance is kept with the reopened row).

    The reason (3–300 characters) is checked here, for the API and the console alike.
    """
    if principal.role != "admin":
        raise DomainError(FORBIDDEN)
    reason = reason.strip()
    if not 3 <= len(reason) <= 300:
        raise DomainError(REOPEN_REASON_REQUIRED, param="reason")
    network = network_of(session, principal)
    now = now or utcnow()
    period = current_close(session, network, month)
    if period is None or period.state != PeriodState.CLOSED:
        raise DomainError(PERIOD_NOT_CLOSED, param="month", month=month)
    changed = rows_changed(
        session,
        transition(
            ClosedPeriod, PERIOD_TRANSITIONS, PeriodState.REOPENED, ClosedPeriod.id == period.id, column="state"
        ).values(reopened_at=now, reopened_by=principal.subject, reopen_reason=reason),
    )
    if changed != 1:
        raise DomainError(PERIOD_NOT_CLOSED, param="month", month=month)
    session.expire(period)
    audit.record(
        session,
        "period.reopen",
        target=period.public_id,
        before={"month": month, "state": PeriodState.CLOSED},
        after={"month": month, "state": PeriodState.REOPENED, "reason": reason},
        principal=principal,
        now=now,
    )
    return period


def stored_balance(session: Session, period: ClosedPeriod) -> list[ClosedPeriodBalance]:
    return list(
        session.scalars(
            select(ClosedPeriodBalance)
            .where(ClosedPeriodBalance.period_id == period.id)
            .order_by(ClosedPeriodBalance.id)
        )
    )
