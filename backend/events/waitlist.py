"""Waiting list: first come, first offered.

When seats free up (a cancellation, an expired order or offer) they go to the
next person waiting, not back on sale: the seats are taken for the offer at
once (same guarded update as a purchase) and kept until ``offer_expires_at``.
Accepting buys them; an unused offer expires (job) and passes to the next.
The list is strictly in order: a large request at the head is not skipped
for smaller ones behind it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.db import get_or_404, utcnow
from backend.errors import DomainError
from backend.events import seats
from backend.events.errors import ALREADY_WAITING, OFFER_NOT_OPEN, SEATS_AVAILABLE, UNKNOWN_TICKET_TYPE
from backend.events.models import (
    WAITLIST_TRANSITIONS,
    Occurrence,
    OccurrenceState,
    Order,
    WaitlistEntry,
    WaitlistState,
)
from backend.events.purchase import (
    check_patron_limit,
    check_sales_open,
    lock_patron,
    place_order,
    sellable_occurrence,
)
from backend.notify.services import notify
from backend.states import transition

OPEN = (WaitlistState.WAITING, WaitlistState.OFFERED)

WAITLIST_OFFER_MINUTES = 60


def join(
    session: Session, patron: Patron, occurrence_public_id: str, ticket_type_public_id: str, quantity: int
) -> WaitlistEntry:
    occurrence = sellable_occurrence(session, occurrence_public_id)
    check_sales_open(occurrence, utcnow())
    ticket_type = next((t for t in occurrence.event.ticket_types if t.public_id == ticket_type_public_id), None)
    if ticket_type is None:
        raise DomainError(UNKNOWN_TICKET_TYPE, param="ticket_type")
    if occurrence.available >= quantity:
        raise DomainError(SEATS_AVAILABLE)
    lock_patron(session, patron)
    if session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.patron_id == patron.id,
            WaitlistEntry.occurrence_id == occurrence.id,
            WaitlistEntry.status.in_(OPEN),
        )
    ):
        raise DomainError(ALREADY_WAITING)
    check_patron_limit(session, patron, occurrence, quantity, lock=False)
    entry = WaitlistEntry(
        occurrence=occurrence, patron=patron, ticket_type=ticket_type, quantity=quantity, status=WaitlistState.WAITING
    )
    session.add(entry)
    session.flush()
    return entry


def own_entry(session: Session, patron: Patron, public_id: str) -> WaitlistEntry:
    entry = get_or_404(session, WaitlistEntry, public_id, patron_id=patron.id)
    return entry


def my_entries(session: Session, patron: Patron) -> list[WaitlistEntry]:
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.patron_id == patron.id, WaitlistEntry.status.in_(OPEN))
            .order_by(WaitlistEntry.id)
        )
    )


def _move(session: Session, entry: WaitlistEntry, source: WaitlistState, target: WaitlistState, **values) -> bool:
    """``source → target`` if the entry is still in ``source`` (and the table allows the move)."""
    changed = session.execute(
        transition(
            WaitlistEntry, WAITLIST_TRANSITIONS, target, WaitlistEntry.id == entry.id, WaitlistEntry.status == source
        ).values(**values)
    ).rowcount
    session.refresh(entry)
    return changed == 1


def offer_freed_seats(session: Session, occurrence: Occurrence, now: datetime | None = None) -> int:
    """Offer free seats to the people waiting, in order; returns how many offers were made."""
    now = now or utcnow()
    if occurrence.status != OccurrenceState.SCHEDULED or occurrence.starts_at <= now:
        return 0
    offers = 0
    waiting = session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.occurrence_id == occurrence.id, WaitlistEntry.status == WaitlistState.WAITING)
        .order_by(WaitlistEntry.id)
    ).all()
    for entry in waiting:
        if not seats.try_take_seats(session, occurrence, entry.quantity):
            break
        expires = min(now + timedelta(minutes=WAITLIST_OFFER_MINUTES), occurrence.starts_at)
        if not _move(
            session, entry, WaitlistState.WAITING, WaitlistState.OFFERED, offered_at=now, offer_expires_at=expires
        ):
            seats.give_back_seats(session, occurrence, entry.quantity)  # left the list meanwhile
            continue
        notify(
            session,
            entry.patron,
            "waitlist_offer",
            event_title=occurrence.event.title,
            starts_at=occurrence.starts_at,
            expires_at=expires,
        )
        offers += 1
    return offers


def accept(session: Session, patron: Patron, entry_public_id: str) -> Order:
    """Buy the offered seats (already taken for the offer) from the wallet."""
    entry = own_entry(session, patron, entry_public_id)
    now = utcnow()
    if entry.status != WaitlistState.OFFERED or entry.offer_expires_at <= now:
        raise DomainError(
            OFFER_NOT_OPEN, status=entry.status if entry.status != WaitlistState.OFFERED else WaitlistState.EXPIRED
        )
    occurrence = entry.occurrence
    check_sales_open(occurrence, now)
    check_patron_limit(session, patron, occurrence, entry.quantity)
    seats.take_type_seats(session, occurrence, entry.ticket_type, entry.quantity)
    order = place_order(session, patron, occurrence, [(entry.ticket_type, entry.quantity)]).order
    if not _move(session, entry, WaitlistState.OFFERED, WaitlistState.ACCEPTED, order_id=order.id):
        raise DomainError(OFFER_NOT_OPEN, status=entry.status)
    return order


def leave(session: Session, patron: Patron, entry_public_id: str) -> WaitlistEntry:
    entry = own_entry(session, patron, entry_public_id)
    if _move(session, entry, WaitlistState.WAITING, WaitlistState.LEFT):
        return entry
    if _move(session, entry, WaitlistState.OFFERED, WaitlistState.LEFT):
        seats.give_back_seats(session, entry.occurrence, entry.quantity)
        offer_freed_seats(session, entry.occurrence)
        return entry
    raise DomainError(OFFER_NOT_OPEN, status=entry.status)


def expire_offers(session: Session, now: datetime | None = None) -> int:
    """Scheduler job: unused offers expire and their seats pass to the next in line."""
    now = now or utcnow()
    due = session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistState.OFFERED, WaitlistEntry.offer_expires_at <= now)
        .order_by(WaitlistEntry.id)
        .limit(500)
    ).all()
    count = 0
    for entry in due:
        if _move(session, entry, WaitlistState.OFFERED, WaitlistState.EXPIRED):
            seats.give_back_seats(session, entry.occurrence, entry.quantity)
            offer_freed_seats(session, entry.occurrence, now)
            count += 1
    return count
