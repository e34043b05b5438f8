"""Rooms bookable by the hour within the library's opening hours, paid from the wallet.

A booking claims each of its hours as a row of ``shop_room_slots``, unique per room
and hour, before the wallet is debited: of two bookings of the same hour only one
can commit (the other waits for it on the unique index, then gets 409
``room_taken``), and a refused payment rolls the slots back with everything else.
Cancelling before the room's cut-off gives the money back to the wallet and frees
the hours; after it, the booking stands.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Patron
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library, require_library
from backend.db import get_or_404, utcnow
from backend.errors import DomainError
from backend.i18n import ROME, normalize_language
from backend.money import Money
from backend.pagination import Page, paginate
from backend.shop import errors as e
from backend.shop.catalog import library_by_id
from backend.shop.models import (
    APP,
    BOOKING_TRANSITIONS,
    WALLET,
    BookingState,
    OpeningHours,
    OrderState,
    Room,
    RoomBooking,
    RoomSlot,
)
from backend.shop.orders import Line, move, new_order, pay_from_wallet, refund_entry

HOUR = timedelta(hours=1)
MAX_HOURS = 12
ROOM_FIELDS = (
    "name_it",
    "name_en",
    "description_it",
    "description_en",
    "capacity",
    "vat",
    "cancel_cutoff_hours",
    "active",
)

# --- opening hours -----------------------------------------------------------------------


def opening_hours(session: Session, library: Library) -> list[OpeningHours]:
    return list(
        session.scalars(
            select(OpeningHours)
            .where(OpeningHours.library_id == library.id)
            .order_by(OpeningHours.weekday, OpeningHours.opens)
        )
    )


def set_opening_hours(
    session: Session, principal: Principal, library_id: str, intervals: list[dict]
) -> list[OpeningHours]:
    """Replace the library's weekly hours (``[{"weekday": 1, "opens": "09:00", "closes": "13:00"}, …]``)."""
    library = require_library(principal, library_by_id(session, library_id))
    by_day: dict[int, list[tuple[str, str]]] = {}
    for interval in intervals:
        by_day.setdefault(interval["weekday"], []).append((interval["opens"], interval["closes"]))
    for spans in by_day.values():
        spans.sort()
        if any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])):
            raise DomainError(e.HOURS_OVERLAP, param="hours")
    session.execute(delete(OpeningHours).where(OpeningHours.library_id == library.id))
    session.add_all(
        OpeningHours(library_id=library.id, weekday=day, opens=opens, closes=closes)
        for day, spans in by_day.items()
        for opens, closes in spans
    )
    session.flush()
    return opening_hours(session, library)


def _within_hours(session: Session, library: Library, starts_at: datetime, ends_at: datetime) -> bool:
    start, end = starts_at.astimezone(ROME), ends_at.astimezone(ROME)
    if (end - timedelta(seconds=1)).date() != start.date():
        return False
    opens_by = start.strftime("%H:%M")
    closes_by = "24:00" if end.time() == time(0) else end.strftime("%H:%M")
    return any(
        hours.opens <= opens_by and closes_by <= hours.closes
        for hours in opening_hours(session, library)
        if hours.weekday == start.isoweekday()
    )


# --- rooms ----------------------------------------------------------------------------------


def room_for_staff(session: Session, principal: Principal, room_id: str) -> Room:
    room = get_or_404(session, Room, room_id, param="room_id")
    require_library(principal, room.library)
    return room


def create_room(session: Session, principal: Principal, data: dict) -> Room:
    library = require_library(principal, library_by_id(session, data["library_id"]))
    price = data["price_per_hour"]
    room = Room(
        library=library,
        price_per_hour=price.amount,
        currency=price.currency,
        **{name: data[name] for name in ROOM_FIELDS if name in data},
    )
    session.add(room)
    session.flush()
    return room


def update_room(session: Session, principal: Principal, room_id: str, changes: dict) -> Room:
    room = room_for_staff(session, principal, room_id)
    for name in ROOM_FIELDS:
        if name in changes:
            setattr(room, name, changes[name])
    if "price_per_hour" in changes:
        room.price_per_hour, room.currency = changes["price_per_hour"].amount, changes["price_per_hour"].currency
    session.flush()
    return room


def rooms_of(session: Session, library_id: str, *, principal: Principal | None = None) -> list[Room]:
    """A library's bookable rooms (staff of the library also see the inactive ones)."""
    library = library_by_id(session, library_id)
    stmt = select(Room).where(Room.library_id == library.id).order_by(Room.id)
    if principal is None or not acts_for_library(principal, library):
        stmt = stmt.where(Room.active.is_(True))
    return list(session.scalars(stmt))


def bookable_room(session: Session, room_id: str) -> Room:
    return get_or_404(session, Room, room_id, param="room_id", active=True)


def availability(session: Session, room_id: str, day: date, now: datetime | None = None) -> list[dict]:
    """Every opening hour of the room's library on ``day`` (Europe/Rome), free or taken."""
    now = now or utcnow()
    room = bookable_room(session, room_id)
    hours = []
    for interval in opening_hours(session, room.library):
        if interval.weekday != day.isoweekday():
            continue
        start = datetime.combine(day, time.fromisoformat(interval.opens), tzinfo=ROME)
        closes = datetime.combine(day, time.fromisoformat(interval.closes), tzinfo=ROME)
        while start + HOUR <= closes:
            hours.append(start)
            start += HOUR
    if not hours:
        return []
    first, last = hours[0], hours[-1] + HOUR
    taken = {
        slot.astimezone(ROME)
        for slot in session.scalars(
            select(RoomSlot.starts_at).where(
                RoomSlot.room_id == room.id, RoomSlot.starts_at >= first, RoomSlot.starts_at < last
            )
        )
    }
    return [{"starts_at": h, "ends_at": h + HOUR, "free": h not in taken and h > now} for h in hours]


# --- bookings -------------------------------------------------------------------------------


def _when(starts_at: datetime, ends_at: datetime) -> str:
    start, end = starts_at.astimezone(ROME), ends_at.astimezone(ROME)
    return f"{start:%d/%m/%Y %H:%M}–{end:%H:%M}"


def book_room(
    session: Session, patron: Patron, room_id: str, starts_at: datetime, ends_at: datetime, now: datetime | None = None
) -> RoomBooking:
    now = now or utcnow()
    room = bookable_room(session, room_id)
    span = ends_at - starts_at
    if (
        starts_at.astimezone(ROME).minute
        or starts_at.second
        or starts_at.microsecond
        or span <= timedelta(0)
        or span % HOUR
    ):
        raise DomainError(e.ROOM_NOT_ON_THE_HOUR, param="starts_at")
    hours = span // HOUR
    if hours > MAX_HOURS:
        raise DomainError(e.ROOM_NOT_ON_THE_HOUR, param="ends_at")
    if starts_at <= now:
        raise DomainError(e.ROOM_IN_THE_PAST, param="starts_at")
    when = _when(starts_at, ends_at)
    if not _within_hours(session, room.library, starts_at, ends_at):
        raise DomainError(e.ROOM_OUTSIDE_HOURS, param="starts_at", when=when)
    language = normalize_language(patron.language)
    line = Line(f"{room.name(language)}, {when}", "room", room.vat, hours, _price(room))
    order = new_order(
        session,
        library=room.library,
        patron=patron,
        lines=[line],
        channel=APP,
        method=WALLET,
        state=OrderState.COMPLETED,
        now=now,
    )
    booking = RoomBooking(
        room=room,
        patron=patron,
        order=order,
        starts_at=starts_at,
        ends_at=ends_at,
        hours=hours,
        state=BookingState.BOOKED,
        created_at=now,
    )
    session.add(booking)
    session.flush()
    try:
        with session.begin_nested():
            session.execute(
                RoomSlot.__table__.insert(),
                [
                    {"room_id": room.id, "starts_at": starts_at + n * HOUR, "booking_id": booking.id}
                    for n in range(hours)
                ],
            )
    except IntegrityError:
        raise DomainError(e.ROOM_TAKEN, param="starts_at", when=when) from None
    pay_from_wallet(session, order, [line], actor=patron.public_id)
    return booking


def _price(room: Room) -> Money:
    return Money(room.price_per_hour, room.currency)


def my_bookings(session: Session, patron: Patron, *, limit: int, starting_after: str | None) -> Page:
    stmt = select(RoomBooking).where(RoomBooking.patron_id == patron.id)
    return paginate(session, stmt, RoomBooking, limit=limit, starting_after=starting_after)


def cancel_booking(session: Session, patron: Patron, booking_id: str, now: datetime | None = None) -> RoomBooking:
    """Until the room's cut-off: the booking is cancelled, its hours freed and the wallet refunded."""
    now = now or utcnow()
    booking = get_or_404(session, RoomBooking, booking_id, param="booking_id", patron_id=patron.id)
    if booking.state == BookingState.CANCELLED:
        raise DomainError(e.BOOKING_CANCELLED)
    cutoff = booking.cancel_until
    if now >= cutoff:
        raise DomainError(e.CANCEL_CUTOFF_PASSED, cutoff=cutoff)
    moved = session.execute(
        update(RoomBooking)
        .where(
            RoomBooking.id == booking.id, RoomBooking.state.in_(BOOKING_TRANSITIONS.sources_of(BookingState.CANCELLED))
        )
        .values(state=BookingState.CANCELLED, cancelled_at=now, refunded=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise DomainError(e.BOOKING_CANCELLED)
    session.refresh(booking)
    order = booking.order
    move(session, order, OrderState.REFUNDED, refunded_at=now)
    refund_entry(session, order, actor=patron.public_id)
    return booking


def library_bookings(session: Session, principal: Principal, library_id: str, day: date) -> list[RoomBooking]:
    """A day's bookings of the library's rooms (Europe/Rome day), for the desk."""
    library = require_library(principal, library_by_id(session, library_id))
    start = datetime.combine(day, time(0), tzinfo=ROME)
    end = start + timedelta(days=1)
    return list(
        session.scalars(
            select(RoomBooking)
            .join(Room, Room.id == RoomBooking.room_id)
            .where(Room.library_id == library.id, RoomBooking.starts_at >= start, RoomBooking.starts_at < end)
            .order_by(RoomBooking.starts_at)
        )
    )


def booking_of_order(session: Session, order_id: int) -> RoomBooking | None:
    return session.scalar(select(RoomBooking).where(RoomBooking.order_id == order_id))
