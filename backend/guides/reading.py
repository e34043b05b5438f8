"""The patron's side of Socialbook: following guides, reading progress, badges, shelves.

Progress is kept per *book*, not per guide: a title read for one guide counts
in every guide that lists it. When a change of progress makes every item of
a guide the patron can see ``read``, they get that guide's badge, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.accounts.privacy import _iso, register_exporter  # _iso: the export's own UTC format
from backend.db import dialect_insert, new_public_id, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.guides import notices  # noqa: F401
from backend.guides.access import visible_guide, visible_to
from backend.guides.catalog import guides_containing, visible_record
from backend.guides.models import (
    READING_TRANSITIONS,
    CatalogRecord,
    Guide,
    GuideBadge,
    GuideFollow,
    GuideItem,
    ReadingProgress,
    ReadingState,
)
from backend.notify.services import notify
from backend.states import INVALID_STATE, transition

# --- following ------------------------------------------------------------------------


def follow(session: Session, patron: Patron, guide_id: str) -> Guide:
    """Follow a visible guide; following again changes nothing."""
    guide = visible_guide(session, patron, guide_id)
    insert = dialect_insert(session)
    created = session.execute(
        insert(GuideFollow)
        .values(
            guide_id=guide.id,
            patron_id=patron.id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["guide_id", "patron_id"])
        .returning(GuideFollow.id)
    ).scalar()
    if created is not None:
        session.execute(
            update(Guide)
            .where(Guide.id == guide.id)
            .values(followers=Guide.followers + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(guide)
    return guide


def unfollow(session: Session, patron: Patron, guide_id: str) -> None:
    guide = session.scalar(select(Guide).where(Guide.public_id == guide_id))
    if guide is None:
        raise DomainError(NOT_FOUND)
    follow_row = session.scalar(
        select(GuideFollow).where(GuideFollow.guide_id == guide.id, GuideFollow.patron_id == patron.id)
    )
    if follow_row is None:
        raise DomainError(NOT_FOUND)
    session.delete(follow_row)
    session.flush()
    session.execute(
        update(Guide)
        .where(Guide.id == guide.id, Guide.followers > 0)
        .values(followers=Guide.followers - 1)
        .execution_options(synchronize_session=False)
    )


def is_following(session: Session, patron: Patron, guide: Guide) -> bool:
    return (
        session.scalar(
            select(GuideFollow.id).where(GuideFollow.guide_id == guide.id, GuideFollow.patron_id == patron.id)
        )
        is not None
    )


def my_guides(patron: Patron) -> tuple[Select, object]:
    """Guides I follow that I can still see, newest follow first: the statement and its keyset key."""
    stmt = (
        select(Guide)
        .join(GuideFollow, GuideFollow.guide_id == Guide.id)
        .where(GuideFollow.patron_id == patron.id, visible_to(patron))
    )
    return stmt, GuideFollow.id


# --- progress -------------------------------------------------------------------------


@dataclass
class ProgressChange:
    progress: ReadingProgress
    badges: list[GuideBadge]  # badges earned by this change


def set_progress(session: Session, patron: Patron, record_id: str, state: ReadingState) -> ProgressChange:
    """Set where I am with a book listed in a guide I can see; may earn badges."""
    record = visible_record(session, patron, record_id)
    now = utcnow()
    target = ReadingState(state)
    finished = now if target == ReadingState.READ else None
    progress = session.scalar(
        select(ReadingProgress).where(ReadingProgress.patron_id == patron.id, ReadingProgress.record_id == record.id)
    )
    if progress is None:
        progress = _insert_progress(session, patron, record, target, now)
    if progress.state != target:
        # Guarded: two devices changing the same book at once make one move each, from what is stored.
        changed = session.execute(
            transition(
                ReadingProgress, READING_TRANSITIONS, target, ReadingProgress.id == progress.id, column="state"
            ).values(updated_at=now, finished_at=finished)
        ).rowcount
        session.refresh(progress)
        if changed != 1:
            raise DomainError(INVALID_STATE)
    badges = _award_badges(session, patron, record) if target == ReadingState.READ else []
    return ProgressChange(progress, badges)


def _insert_progress(
    session: Session, patron: Patron, record: CatalogRecord, state: ReadingState, now: datetime
) -> ReadingProgress:
    insert = dialect_insert(session)
    session.execute(
        insert(ReadingProgress)
        .values(
            public_id=new_public_id(ReadingProgress.PUBLIC_ID_PREFIX),
            patron_id=patron.id,
            record_id=record.id,
            state=state,
            updated_at=now,
            finished_at=now if state == ReadingState.READ else None,
        )
        .on_conflict_do_nothing(index_elements=["patron_id", "record_id"])
    )
    progress = session.scalar(
        select(ReadingProgress)
        .where(ReadingProgress.patron_id == patron.id, ReadingProgress.record_id == record.id)
        .execution_options(populate_existing=True)
    )
    return progress


def clear_progress(session: Session, patron: Patron, record_id: str) -> None:
    record = session.scalar(select(CatalogRecord).where(CatalogRecord.public_id == record_id))
    progress = record and session.scalar(
        select(ReadingProgress).where(ReadingProgress.patron_id == patron.id, ReadingProgress.record_id == record.id)
    )
    if not progress:
        raise DomainError(NOT_FOUND)
    session.delete(progress)
    session.flush()


@dataclass
class GuideProgress:
    guide: Guide
    items: int
    want_to_read: int
    reading: int
    read: int
    badge: GuideBadge | None

    @property
    def completed(self) -> bool:
        return self.items > 0 and self.read == self.items

    @property
    def badge_awarded_at(self) -> datetime | None:
        return self.badge.awarded_at if self.badge else None

    @property
    def percent(self) -> int:
        return self.read * 100 // self.items if self.items else 0


def progress_in(session: Session, patron: Patron, guide: Guide) -> GuideProgress:
    counts = dict(
        session.execute(
            select(ReadingProgress.state, func.count())
            .join(GuideItem, GuideItem.record_id == ReadingProgress.record_id)
            .where(GuideItem.guide_id == guide.id, ReadingProgress.patron_id == patron.id)
            .group_by(ReadingProgress.state)
        ).all()
    )
    items = session.scalar(select(func.count()).select_from(GuideItem).where(GuideItem.guide_id == guide.id))
    badge = session.scalar(select(GuideBadge).where(GuideBadge.patron_id == patron.id, GuideBadge.guide_id == guide.id))
    return GuideProgress(
        guide,
        items,
        counts.get(ReadingState.WANT_TO_READ, 0),
        counts.get(ReadingState.READING, 0),
        counts.get(ReadingState.READ, 0),
        badge,
    )


def guide_progress(session: Session, patron: Patron, guide_id: str) -> GuideProgress:
    return progress_in(session, patron, visible_guide(session, patron, guide_id))


def progress_of_records(session: Session, patron: Patron, record_ids: list[int]) -> dict[int, ReadingProgress]:
    if not record_ids:
        return {}
    return {
        p.record_id: p
        for p in session.scalars(
            select(ReadingProgress).where(
                ReadingProgress.patron_id == patron.id, ReadingProgress.record_id.in_(record_ids)
            )
        )
    }


def _award_badges(session: Session, patron: Patron, record: CatalogRecord) -> list[GuideBadge]:
    earned = []
    for guide in guides_containing(session, patron, record):
        progress = progress_in(session, patron, guide)
        if not progress.completed or progress.badge is not None:
            continue
        badge = GuideBadge(patron_id=patron.id, guide_id=guide.id, awarded_at=utcnow())
        try:
            with session.begin_nested():  # another device may award the same badge at this instant
                session.add(badge)
        except IntegrityError:
            continue
        earned.append(badge)
        notify(session, patron, "guide_completed", guide_title=guide.title(patron.language))
    return earned


def shelf(patron: Patron, state: ReadingState | None) -> Select:
    """My books by state (all states when None), most recently changed first (by id, the cursor)."""
    stmt = select(ReadingProgress).where(ReadingProgress.patron_id == patron.id)
    return stmt.where(ReadingProgress.state == state) if state else stmt


def badges_of(patron: Patron) -> Select:
    return select(GuideBadge).where(GuideBadge.patron_id == patron.id)


# --- personal data export ---------------------------------------------------------------


def export_reading(session: Session, patron: Patron) -> dict:
    follows = session.execute(
        select(Guide.public_id, Guide.title_it, GuideFollow.created_at)
        .join(GuideFollow, GuideFollow.guide_id == Guide.id)
        .where(GuideFollow.patron_id == patron.id)
        .order_by(GuideFollow.id)
    ).all()
    progress = session.execute(
        select(ReadingProgress, CatalogRecord)
        .join(CatalogRecord, CatalogRecord.id == ReadingProgress.record_id)
        .where(ReadingProgress.patron_id == patron.id)
        .order_by(ReadingProgress.id)
    ).all()
    badges = session.execute(
        select(GuideBadge, Guide)
        .join(Guide, Guide.id == GuideBadge.guide_id)
        .where(GuideBadge.patron_id == patron.id)
        .order_by(GuideBadge.id)
    ).all()
    return {
        "following": [{"guide_id": gid, "title": title, "since": _iso(since)} for gid, title, since in follows],
        "reading": [
            {
                "record_id": r.public_id,
                "title": r.title,
                "isbn": r.isbn,
                "state": p.state,
                "updated_at": _iso(p.updated_at),
                "finished_at": _iso(p.finished_at),
            }
            for p, r in progress
        ],
        "badges": [
            {"id": b.public_id, "guide_id": g.public_id, "guide_title": g.title_it, "awarded_at": _iso(b.awarded_at)}
            for b, g in badges
        ],
    }


register_exporter("reading_guides", export_reading)
