"""What the app shows of a guide: its items with the OPAC link and my progress, its kits,
the upcoming linked dates with live availability, whether I follow it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.events.models import Occurrence
from backend.guides import catalog, reading
from backend.guides.access import visible_guide
from backend.guides.models import CatalogRecord, Guide, GuideItem, Kit, ReadingProgress
from backend.guides.records import opac_templates, opac_url


@dataclass
class RecordView:
    record: CatalogRecord
    opac_url: str | None
    my_state: str | None = None

    def __getattr__(self, name):  # the record's own fields (title, authors, …)
        return getattr(self.record, name)


@dataclass
class ItemView:
    item: GuideItem
    record: RecordView

    @property
    def public_id(self) -> str:
        return self.item.public_id

    @property
    def position(self) -> int:
        return self.item.position

    @property
    def note(self) -> str:
        return self.item.note


@dataclass
class GuideDetail:
    guide: Guide
    items: list[ItemView]
    kits: list[Kit]
    upcoming: list[Occurrence]
    following: bool
    progress: reading.GuideProgress | None

    def __getattr__(self, name):
        return getattr(self.guide, name)


def record_views(
    session: Session, records: list[CatalogRecord], progress: dict[int, ReadingProgress] | None = None
) -> list[RecordView]:
    templates = opac_templates(session, {r.network_id for r in records})
    progress = progress or {}
    return [RecordView(r, opac_url(templates, r), progress[r.id].state if r.id in progress else None) for r in records]


def item_views(session: Session, guide: Guide, patron: Patron | None = None) -> list[ItemView]:
    items = list(guide.items)
    records = [item.record for item in items]
    progress = reading.progress_of_records(session, patron, [r.id for r in records]) if patron else {}
    return [ItemView(item, view) for item, view in zip(items, record_views(session, records, progress))]


def guide_detail(session: Session, patron: Patron, guide_id: str) -> GuideDetail:
    guide = visible_guide(session, patron, guide_id)
    return GuideDetail(
        guide,
        item_views(session, guide, patron),
        catalog.kits_of(session, guide),
        catalog.upcoming_events(session, guide),
        reading.is_following(session, patron, guide),
        reading.progress_in(session, patron, guide),
    )


def staff_detail(session: Session, guide: Guide) -> GuideDetail:
    return GuideDetail(
        guide,
        item_views(session, guide),
        catalog.kits_of(session, guide),
        catalog.upcoming_events(session, guide),
        False,
        None,
    )


@dataclass
class RecordDetail:
    record: RecordView
    guides: list[Guide]


def record_detail(session: Session, patron: Patron, record_id: str) -> RecordDetail:
    record = catalog.visible_record(session, patron, record_id)
    progress = reading.progress_of_records(session, patron, [record.id])
    return RecordDetail(
        record_views(session, [record], progress)[0], catalog.guides_containing(session, patron, record)
    )


@dataclass
class ProgressView:
    progress: ReadingProgress
    record: RecordView

    def __getattr__(self, name):
        return getattr(self.progress, name)


def progress_views(session: Session, rows: list[ReadingProgress]) -> list[ProgressView]:
    views = record_views(session, [p.record for p in rows], {p.record_id: p for p in rows})
    return [ProgressView(p, view) for p, view in zip(rows, views)]
