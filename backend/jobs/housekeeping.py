"""Jobs without a better home: pruning expired rows, the nightly ledger audit."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.db import Database, utcnow

log = logging.getLogger(__name__)


def prune_expired_refresh_tokens(session: Session, now: datetime | None = None) -> int:
    """Delete refresh tokens past their expiry. A token expires with its session, so
    nothing can use (or reuse) it any more: keeping it serves no check."""
    from backend.accounts.models import RefreshToken

    return session.execute(delete(RefreshToken).where(RefreshToken.expires_at < (now or utcnow()))).rowcount


def nightly_ledger_audit(database: Database) -> int:
    """Recompute the ledger; on any discrepancy email finance and admin of every network.

    The alert carries only the count (the details name wallets of every network):
    staff read them with ``borsellino ledger audit``. Returns the discrepancy count.
    """
    from backend.ledger.audit import run_audit

    report = database.run_in_transaction(run_audit)
    if report.clean:
        return 0
    log.error("ledger audit found %s discrepancies", len(report.problems))
    today = utcnow().date().isoformat()
    database.run_in_transaction(lambda s: _alert_staff(s, len(report.problems), today))
    return len(report.problems)


def _alert_staff(session: Session, count: int, day: str) -> None:
    from backend.accounts.models import Network
    from backend.notify.services import notify_staff

    for network in session.scalars(select(Network).order_by(Network.id)):
        notify_staff(
            session,
            network,
            "ledger_audit_failed",
            discrepancies=count,
            summary="borsellino ledger audit",
            dedupe_key=f"ledger_audit:{day}",
        )
