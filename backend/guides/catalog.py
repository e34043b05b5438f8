"""Guides: curators create, fill, order, publish them and link events; patrons browse them.

Followers hear about new titles, kits and events of a *published* guide
(``backend.guides.notices``); nothing is sent while a guide is a draft.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network, Patron
from backend.auth.principal import Principal
from backend.db import utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.events import catalog as events_catalog
from backend.events.access import organizer_for
from backend.events.models import Event, EventState, Occurrence
from backend.guides import notices  # noqa: F401  (registers the notification kinds)
from backend.guides.access import visible_to
from backend.guides.errors import (
    ALREADY_IN_GUIDE,
    EVENT_ALREADY_LINKED,
    EVENT_NOT_LINKABLE,
    GUIDE_EMPTY,
    ORDER_MISMATCH,
)
from backend.guides.models import (
    GUIDE_TRANSITIONS,
    CatalogRecord,
    Guide,
    GuideEventLink,
    GuideFollow,
    GuideItem,
    GuideState,
    Kit,
    KitGuide,
)
from backend.guides.records import normalize_isbn, record_for
from backend.notify.services import notify
from backend.pagination import Page, paginate
from backend.states import INVALID_STATE, transition

GUIDE_FIELDS = (
    "title_it",
    "title_en",
    "theme",
    "description_it",
    "description_en",
    "cover_url",
    "audience",
    "age_min",
    "age_max",
    "visibility",
)


def normalize_tags(tags: list[str] | None) -> str:
    seen = dict.fromkeys(t.strip().lower().replace(" ", "-") for t in tags or () if t.strip())
    return " ".join(seen)


# --- curators -------------------------------------------------------------------------


def create_guide(session: Session, principal: Principal, data: dict) -> Guide:
    network, library = organizer_for(session, principal, library_id=data.get("library"), network_id=data.get("network"))
    guide = Guide(
        network=network,
        library=library,
        state=GuideState.DRAFT,
        created_by=principal.subject,
        tags=normalize_tags(data.get("tags")),
        **{name: data[name] for name in GUIDE_FIELDS if data.get(name) is not None},
    )
    session.add(guide)
    session.flush()
    return guide


def update_guide(session: Session, guide: Guide, changes: dict) -> Guide:
    for name in GUIDE_FIELDS:
        if name in changes:
            setattr(guide, name, changes[name])
    if "tags" in changes:
        guide.tags = normalize_tags(changes["tags"])
    session.flush()
    return guide


def add_item(
    session: Session,
    guide: Guide,
    *,
    isbn: str | None,
    note: str = "",
    title: str | None = None,
    authors: str = "",
    year: int | None = None,
    media_type: str = "book",
    cover_url: str | None = None,
    tell_followers: bool = True,
) -> GuideItem:
    """Append a title (by ISBN: the shared record, created if new) with the curator's note."""
    record = record_for(
        session,
        guide.network,
        isbn=normalize_isbn(isbn) if isbn else None,
        title=title,
        authors=authors,
        year=year,
        media_type=media_type,
        cover_url=cover_url,
    )
    item = append_record(session, guide, record, note)
    if item is None:
        raise DomainError(ALREADY_IN_GUIDE, param="isbn")
    if tell_followers:
        tell_followers_of(session, guide, "guide_items_added", count=1)
    return item


def append_record(session: Session, guide: Guide, record: CatalogRecord, note: str) -> GuideItem | None:
    """The new last item of ``guide``, or None when the record is already in it."""
    if session.scalar(select(GuideItem.id).where(GuideItem.guide_id == guide.id, GuideItem.record_id == record.id)):
        return None
    last = session.scalar(select(func.max(GuideItem.position)).where(GuideItem.guide_id == guide.id))
    item = GuideItem(guide=guide, record=record, note=note or "", position=(last or 0) + 1, added_at=utcnow())
    session.add(item)
    session.flush()
    return item


def guide_item(session: Session, guide: Guide, item_id: str) -> GuideItem:
    item = session.scalar(select(GuideItem).where(GuideItem.public_id == item_id, GuideItem.guide_id == guide.id))
    if item is None:
        raise DomainError(NOT_FOUND, param="item_id")
    return item


def update_item(session: Session, guide: Guide, item_id: str, note: str) -> GuideItem:
    item = guide_item(session, guide, item_id)
    item.note = note
    session.flush()
    return item


def remove_item(session: Session, guide: Guide, item_id: str) -> None:
    item = guide_item(session, guide, item_id)
    session.delete(item)
    session.flush()
    session.expire(guide, ["items"])


def reorder_items(session: Session, guide: Guide, item_ids: list[str]) -> Guide:
    """Put the items in the given order: every item of the guide, each once."""
    items = {item.public_id: item for item in guide.items}
    if len(item_ids) != len(items) or set(item_ids) != set(items):
        raise DomainError(ORDER_MISMATCH, param="item_ids")
    for position, public_id in enumerate(item_ids, start=1):
        items[public_id].position = position
    session.flush()
    session.expire(guide, ["items"])
    return guide


def publish(session: Session, guide: Guide) -> Guide:
    GUIDE_TRANSITIONS.check(guide.state, GuideState.PUBLISHED)
    if not guide.items:
        raise DomainError(GUIDE_EMPTY)
    _move(session, guide, GuideState.PUBLISHED, published_at=guide.published_at or utcnow())
    return guide


def unpublish(session: Session, guide: Guide) -> Guide:
    GUIDE_TRANSITIONS.check(guide.state, GuideState.DRAFT)
    _move(session, guide, GuideState.DRAFT)
    return guide


def _move(session: Session, guide: Guide, target: GuideState, **values) -> None:
    changed = session.execute(
        transition(Guide, GUIDE_TRANSITIONS, target, Guide.id == guide.id, column="state").values(**values)
    ).rowcount
    session.refresh(guide)
    if changed != 1:
        raise DomainError(INVALID_STATE)


def curated_guides(session: Session, principal: Principal) -> Select:
    """Guides the caller curates: a librarian's libraries' and network guides of their network; an admin's network's."""
    stmt = select(Guide)
    if principal.role == "librarian":
        libraries = principal.library_ids or ("-",)
        return stmt.outerjoin(Library, Library.id == Guide.library_id).where(
            or_(
                Library.public_id.in_(libraries),
                and_(
                    Guide.library_id.is_(None),
                    Guide.network_id.in_(select(Library.network_id).where(Library.public_id.in_(libraries))),
                ),
            )
        )
    return stmt.join(Network, Network.id == Guide.network_id).where(Network.public_id == principal.network_id)


# --- linked events --------------------------------------------------------------------


def link_event(session: Session, guide: Guide, *, event_id: str, occurrence_id: str | None = None) -> GuideEventLink:
    """Link a published event (all its dates) or one of its dates; followers hear of the next date."""
    if occurrence_id:
        occurrence = events_catalog.public_occurrence(session, occurrence_id)
        event = occurrence.event
        if event.public_id != event_id:
            raise DomainError(NOT_FOUND, param="occurrence_id")
    else:
        occurrence = None
        event = events_catalog.published_event(session, event_id)
    if event.status != EventState.PUBLISHED:
        raise DomainError(EVENT_NOT_LINKABLE, param="event_id")
    exists = session.scalar(
        select(GuideEventLink.id).where(
            GuideEventLink.guide_id == guide.id,
            GuideEventLink.event_id == event.id,
            GuideEventLink.occurrence_id.is_(None)
            if occurrence is None
            else GuideEventLink.occurrence_id == occurrence.id,
        )
    )
    if exists:
        raise DomainError(EVENT_ALREADY_LINKED, param="event_id")
    link = GuideEventLink(
        guide_id=guide.id, event_id=event.id, occurrence_id=occurrence.id if occurrence else None, created_at=utcnow()
    )
    session.add(link)
    session.flush()
    upcoming = events_catalog.upcoming_of(
        session,
        event_ids=[] if occurrence else [event.id],
        occurrence_ids=[occurrence.id] if occurrence else [],
        limit=1,
    )
    if upcoming:
        tell_followers_of(
            session,
            guide,
            "guide_event_added",
            dedupe=f"guide-event:{link.id}",
            event_title=event.title,
            starts_at=upcoming[0].starts_at,
            venue=event.venue_name,
        )
    return link


def unlink_event(session: Session, guide: Guide, event_id: str) -> int:
    event = session.scalar(select(Event).where(Event.public_id == event_id))
    if event is None:
        raise DomainError(NOT_FOUND, param="event_id")
    links = session.scalars(
        select(GuideEventLink).where(GuideEventLink.guide_id == guide.id, GuideEventLink.event_id == event.id)
    ).all()
    if not links:
        raise DomainError(NOT_FOUND, param="event_id")
    for link in links:
        session.delete(link)
    session.flush()
    return len(links)


def upcoming_events(session: Session, guide: Guide, limit: int = 10) -> list[Occurrence]:
    """The guide's next dates with live availability (read by the events domain)."""
    links = session.execute(
        select(GuideEventLink.event_id, GuideEventLink.occurrence_id).where(GuideEventLink.guide_id == guide.id)
    ).all()
    return events_catalog.upcoming_of(
        session,
        event_ids=[e for e, o in links if o is None],
        occurrence_ids=[o for _, o in links if o is not None],
        limit=limit,
    )


# --- followers ------------------------------------------------------------------------


def tell_followers_of(session: Session, guide: Guide, kind: str, *, dedupe: str | None = None, **data) -> int:
    """One notification per follower of a published guide (each within their preferences)."""
    if guide.state != GuideState.PUBLISHED:
        return 0
    sent = 0
    followers = session.scalars(
        select(Patron)
        .join(GuideFollow, GuideFollow.patron_id == Patron.id)
        .where(GuideFollow.guide_id == guide.id, Patron.status != "deleted")
        .order_by(Patron.id)
    )
    for patron in followers:
        key = f"{dedupe}:{patron.public_id}" if dedupe else None
        if notify(session, patron, kind, dedupe_key=key, guide_title=guide.title(patron.language), **data):
            sent += 1
    return sent


# --- patrons --------------------------------------------------------------------------

SORTS = ("newest", "most_followed")


def search_guides(session: Session, patron: Patron, args: dict) -> Page:
    stmt = select(Guide).where(visible_to(patron))
    if args.get("q"):
        pattern = "%" + args["q"].replace("\\", "").replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(
            or_(
                Guide.title_it.ilike(pattern),
                Guide.title_en.ilike(pattern),
                Guide.description_it.ilike(pattern),
                Guide.description_en.ilike(pattern),
                Guide.theme.ilike(pattern),
                Guide.tags.ilike(pattern),
            )
        )
    if args.get("theme"):
        stmt = stmt.where(func.lower(Guide.theme) == args["theme"].lower())
    if args.get("tag"):
        # tags are space-separated words: match a whole word
        padded = " " + Guide.tags + " "
        stmt = stmt.where(padded.like(f"% {normalize_tags([args['tag']])} %"))
    if args.get("age") is not None:
        age = args["age"]
        stmt = stmt.where(
            or_(Guide.age_min.is_(None), Guide.age_min <= age), or_(Guide.age_max.is_(None), Guide.age_max >= age)
        )
    if args.get("curator"):
        curator = args["curator"]
        stmt = stmt.where(
            or_(
                Guide.library_id == select(Library.id).where(Library.public_id == curator).scalar_subquery(),
                and_(
                    Guide.library_id.is_(None),
                    Guide.network_id == select(Network.id).where(Network.public_id == curator).scalar_subquery(),
                ),
            )
        )
    if args.get("network"):
        stmt = stmt.where(
            Guide.network_id == select(Network.id).where(Network.public_id == args["network"]).scalar_subquery()
        )
    key = Guide.followers if args.get("sort") == "most_followed" else Guide.published_at
    return paginate(
        session,
        stmt,
        Guide,
        limit=args["limit"],
        starting_after=args.get("starting_after"),
        order_by=key,
        descending=True,
    )


def guides_containing(session: Session, patron: Patron, record: CatalogRecord) -> list[Guide]:
    return list(
        session.scalars(
            select(Guide)
            .join(GuideItem, GuideItem.guide_id == Guide.id)
            .where(GuideItem.record_id == record.id, visible_to(patron))
            .order_by(Guide.published_at.desc(), Guide.id.desc())
            .limit(50)
        )
    )


def visible_record(session: Session, patron: Patron, record_id: str) -> CatalogRecord:
    """A record that is in at least one guide the patron can see (else 404)."""
    record = session.scalar(select(CatalogRecord).where(CatalogRecord.public_id == record_id))
    if record is None or not guides_containing(session, patron, record):
        raise DomainError(NOT_FOUND)
    return record


def kits_of(session: Session, guide: Guide) -> list[Kit]:
    return list(
        session.scalars(
            select(Kit)
            .join(KitGuide, KitGuide.kit_id == Kit.id)
            .where(KitGuide.guide_id == guide.id, Kit.active.is_(True))
            .order_by(Kit.id)
        )
    )
