"""The program: organizers create and publish events; the app discovers them.

Discovery lists *occurrences* (one line per date) ordered by start time with
keyset pagination; "near a point" is ``backend.geo.near``.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network
from backend.auth.principal import Principal
from backend.db import utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.events.access import organizer_for
from backend.events.errors import (
    CAPACITY_BELOW_SOLD,
    EVENT_INCOMPLETE,
    INVALID_STATE,
    OCCURRENCE_IN_PAST,
)
from backend.events.models import (
    EVENT_TRANSITIONS,
    Event,
    EventState,
    Occurrence,
    OccurrenceState,
    TicketType,
)
from backend.events.tickets import cancel_occurrence
from backend.events.times import to_utc
from backend.events.waitlist import offer_freed_seats
from backend.geo import near
from backend.pagination import Page, paginate
from backend.states import transition

EVENT_FIELDS = (
    "title",
    "description",
    "category",
    "audience",
    "age_min",
    "age_max",
    "accessibility",
    "image_url",
    "venue_name",
    "venue_address",
    "latitude",
    "longitude",
    "per_patron_limit",
    "sales_open_days",
    "sales_close_minutes",
    "cancel_cutoff_hours",
    "payment_hold_minutes",
)


# --- organizers ---------------------------------------------------------------------


def create_event(session: Session, principal: Principal, data: dict) -> Event:
    network, library = organizer_for(session, principal, library_id=data.get("library"), network_id=data.get("network"))
    event = Event(
        network=network,
        library=library,
        status=EventState.DRAFT,
        created_by=principal.subject,
        **{name: data[name] for name in EVENT_FIELDS if name in data},
    )
    session.add(event)
    for position, spec in enumerate(data.get("ticket_types") or []):
        add_ticket_type(session, event, spec, position=position)
    for spec in data.get("occurrences") or []:
        add_occurrence(session, event, spec)
    session.flush()
    return event


def update_event(session: Session, event: Event, changes: dict) -> Event:
    if event.status == EventState.CANCELLED:
        raise DomainError(INVALID_STATE, status=event.status)
    for name in EVENT_FIELDS:
        if name in changes:
            setattr(event, name, changes[name])
    session.flush()
    return event


def add_ticket_type(session: Session, event: Event, spec: dict, *, position: int | None = None) -> TicketType:
    if event.status == EventState.CANCELLED:
        raise DomainError(INVALID_STATE, status=event.status)
    price = spec["price"].amount if spec["kind"] != "free" else 0
    ticket_type = TicketType(
        name=spec["name"],
        kind=spec["kind"],
        condition=spec.get("condition", ""),
        price=price,
        capacity=spec.get("capacity"),
        position=position if position is not None else len(event.ticket_types),
    )
    event.ticket_types.append(ticket_type)
    session.flush()
    return ticket_type


def add_occurrence(session: Session, event: Event, spec: dict) -> Occurrence:
    if event.status == EventState.CANCELLED:
        raise DomainError(INVALID_STATE, status=event.status)
    starts_at = to_utc(spec["starts_at"])
    if starts_at <= utcnow():
        raise DomainError(OCCURRENCE_IN_PAST, param="starts_at")
    ends_at = to_utc(spec["ends_at"]) if spec.get("ends_at") else None
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError(OCCURRENCE_IN_PAST, param="ends_at")
    occurrence = Occurrence(
        starts_at=starts_at, ends_at=ends_at, capacity=spec["capacity"], sold=0, status=OccurrenceState.SCHEDULED
    )
    event.occurrences.append(occurrence)
    session.flush()
    return occurrence


def change_capacity(session: Session, occurrence: Occurrence, capacity: int) -> Occurrence:
    changed = session.execute(
        update(Occurrence)
        .where(Occurrence.id == occurrence.id, Occurrence.sold <= capacity)
        .values(capacity=capacity)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(occurrence)
    if changed != 1:
        raise DomainError(CAPACITY_BELOW_SOLD, param="capacity", sold=occurrence.sold)
    offer_freed_seats(session, occurrence)
    return occurrence


def _move(session: Session, event: Event, target: EventState) -> None:
    changed = session.execute(transition(Event, EVENT_TRANSITIONS, target, Event.id == event.id)).rowcount
    session.refresh(event, ["status"])
    if changed != 1:
        raise DomainError(INVALID_STATE, status=event.status)


def publish(session: Session, event: Event) -> Event:
    EVENT_TRANSITIONS.check(event.status, EventState.PUBLISHED, INVALID_STATE, status=event.status)
    now = utcnow()
    if not event.ticket_types or not any(o.starts_at > now for o in event.occurrences):
        raise DomainError(EVENT_INCOMPLETE)
    _move(session, event, EventState.PUBLISHED)
    return event


def cancel_event(session: Session, event: Event, *, actor: str) -> dict:
    """Cancel the whole event: every date still to come is cancelled and refunded.

    Dates that have already started stay as they are: their tickets were used.
    """
    _move(session, event, EventState.CANCELLED)
    summary = {"tickets_refunded": 0, "tickets_used": 0, "patrons_notified": 0}
    now = utcnow()
    for occurrence in list(event.occurrences):
        if occurrence.status == OccurrenceState.SCHEDULED and occurrence.starts_at > now:
            done = cancel_occurrence(session, occurrence, actor=actor)
            for name in summary:
                summary[name] += done[name]
    session.flush()
    return summary


def managed_events(session: Session, principal: Principal, *, limit: int, starting_after: str | None) -> Page:
    stmt = select(Event)
    if principal.role == "librarian":
        stmt = stmt.outerjoin(Library, Library.id == Event.library_id).where(
            or_(
                Library.public_id.in_(principal.library_ids),
                and_(
                    Event.library_id.is_(None),
                    Event.network_id.in_(
                        select(Library.network_id).where(Library.public_id.in_(principal.library_ids))
                    ),
                ),
            )
        )
    else:
        stmt = stmt.join(Network, Network.id == Event.network_id).where(Network.public_id == principal.network_id)
    return paginate(session, stmt, Event, limit=limit, starting_after=starting_after)


# --- discovery ------------------------------------------------------------------------


def published_event(session: Session, public_id: str) -> Event:
    event = session.scalar(select(Event).where(Event.public_id == public_id, Event.status != EventState.DRAFT))
    if event is None:
        raise DomainError(NOT_FOUND)
    return event


def public_occurrence(session: Session, public_id: str) -> Occurrence:
    occurrence = session.scalar(
        select(Occurrence).join(Event).where(Occurrence.public_id == public_id, Event.status != EventState.DRAFT)
    )
    if occurrence is None:
        raise DomainError(NOT_FOUND)
    return occurrence


def search_occurrences(session: Session, args: dict) -> Page:
    """Upcoming dates of published events, soonest first, filtered as the app asks."""
    now = utcnow()
    start = max(to_utc(args["from"]), now) if args.get("from") else now
    stmt = upcoming_dates(start)
    if args.get("to"):
        stmt = stmt.where(Occurrence.starts_at < to_utc(args["to"]))
    if args.get("library"):
        stmt = stmt.where(
            Event.library_id == select(Library.id).where(Library.public_id == args["library"]).scalar_subquery()
        )
    if args.get("network"):
        stmt = stmt.where(
            Event.network_id == select(Network.id).where(Network.public_id == args["network"]).scalar_subquery()
        )
    if args.get("category"):
        stmt = stmt.where(Event.category == args["category"])
    if args.get("free") is not None:
        paid = exists().where(TicketType.event_id == Event.id, TicketType.price > 0)
        stmt = stmt.where(~paid if args["free"] else paid)
    if args.get("available_only"):
        stmt = stmt.where(Occurrence.sold < Occurrence.capacity)
    if args.get("q"):
        pattern = "%" + args["q"].replace("\\", "").replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(
            or_(Event.title.ilike(pattern), Event.description.ilike(pattern), Event.venue_name.ilike(pattern))
        )
    if args.get("lat") is not None and args.get("lon") is not None:
        stmt = stmt.where(
            *near(Event.latitude, Event.longitude, args["lat"], args["lon"], args.get("radius_km") or 10.0)
        )
    return paginate(
        session,
        stmt,
        Occurrence,
        limit=args["limit"],
        starting_after=args.get("starting_after"),
        order_by=Occurrence.starts_at,
        descending=False,
    )


def upcoming_dates(start):
    """Dates from ``start`` on that patrons can still book: of published events, not cancelled."""
    return (
        select(Occurrence)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Event.status == EventState.PUBLISHED,
            Occurrence.status == OccurrenceState.SCHEDULED,
            Occurrence.starts_at >= start,
        )
    )


def upcoming_of(
    session: Session, *, event_ids: list[int], occurrence_ids: list[int], limit: int = 20
) -> list[Occurrence]:
    """The next bookable dates of these events (every date) and occurrences, soonest first.

    For pages that show another domain's selection of events (a reading guide)
    with live availability (``Occurrence.available``).
    """
    if not event_ids and not occurrence_ids:
        return []
    stmt = upcoming_dates(utcnow()).where(
        or_(Occurrence.event_id.in_(event_ids or [-1]), Occurrence.id.in_(occurrence_ids or [-1]))
    )
    return list(session.scalars(stmt.order_by(Occurrence.starts_at, Occurrence.id).limit(limit)))
