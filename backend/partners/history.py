"""Lists of redemptions: a patron's own (with the savings), a till's day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.i18n import ROME
from backend.pagination import Page, paginate
from backend.partners.models import Redemption, RedemptionState
from backend.partners.scope import TillScope

SAVED = (RedemptionState.ACCEPTED, RedemptionState.FLAGGED, RedemptionState.APPROVED)


def my_redemptions(session: Session, patron: Patron, *, limit: int, starting_after: str | None) -> Page:
    return paginate(
        session,
        select(Redemption).where(Redemption.patron_id == patron.id),
        Redemption,
        limit=limit,
        starting_after=starting_after,
    )


def my_savings(session: Session, patron: Patron) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Redemption.discount), 0)).where(
                Redemption.patron_id == patron.id, Redemption.state.in_(SAVED)
            )
        )
        or 0
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), ROME)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def till_redemptions(
    session: Session, scope: TillScope, day: date, *, limit: int = 50, starting_after: str | None = None
) -> Page:
    start, end = day_bounds(day)
    stmt = select(Redemption).where(
        Redemption.partner_id == scope.partner.id, Redemption.scanned_at >= start, Redemption.scanned_at < end
    )
    if scope.venue is not None:
        stmt = stmt.where(Redemption.venue_id == scope.venue.id)
    return paginate(session, stmt, Redemption, limit=limit, starting_after=starting_after)
