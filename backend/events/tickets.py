"""A patron's tickets: list, reissue the QR, cancel with a refund; organizer cancellations.

Refunds go back to the wallet through the ledger as refunds *of the order's
payment* (``refunds=``), so the money returns to the funding lots it came
from and never more than was paid. Every state change is a guarded update
from the states ``TICKET_TRANSITIONS`` allows (``backend.states.transition``):
a ticket used at the door is ``used``, and nothing moves a used ticket to
``cancelled``, whoever asks and whatever ran concurrently.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.db import get_or_404, utcnow
from backend.errors import DomainError
from backend.events import seats
from backend.events.errors import (
    CANCEL_TOO_LATE,
    INVALID_STATE,
    OCCURRENCE_STARTED,
    TICKET_NOT_ACTIVE,
    TICKET_USED,
)
from backend.events.models import (
    OCCURRENCE_TRANSITIONS,
    ORDER_TRANSITIONS,
    TICKET_TRANSITIONS,
    WAITLIST_TRANSITIONS,
    CheckIn,
    Occurrence,
    OccurrenceState,
    Order,
    OrderState,
    Ticket,
    TicketState,
    WaitlistEntry,
    WaitlistState,
)
from backend.events.purchase import HELD_TICKET_STATES, buyer_accounts
from backend.events.times import in_rome
from backend.events.waitlist import offer_freed_seats
from backend.ledger.models import JournalEntry
from backend.ledger.services import credit, debit, post_entry
from backend.money import Money
from backend.notify.services import notify
from backend.pagination import Page, paginate
from backend.states import transition


def my_tickets(
    session: Session, patron: Patron, *, limit: int, starting_after: str | None, include_past: bool = False
) -> Page:
    stmt = select(Ticket).where(Ticket.patron_id == patron.id, Ticket.status.in_(HELD_TICKET_STATES))
    if not include_past:
        stmt = stmt.join(Occurrence, Occurrence.id == Ticket.occurrence_id).where(
            Occurrence.starts_at > utcnow() - timedelta(hours=12)
        )
    return paginate(session, stmt, Ticket, limit=limit, starting_after=starting_after)


def my_orders(session: Session, patron: Patron, *, limit: int, starting_after: str | None) -> Page:
    return paginate(
        session, select(Order).where(Order.patron_id == patron.id), Order, limit=limit, starting_after=starting_after
    )


def own_ticket(session: Session, patron: Patron, public_id: str) -> Ticket:
    ticket = get_or_404(session, Ticket, public_id, patron_id=patron.id)
    return ticket


def refusal(session: Session, ticket: Ticket) -> DomainError:
    """Why ``ticket`` can't be cancelled or reissued: used at the door (422) or not active (409)."""
    if ticket.status == TicketState.USED:
        used_at = session.scalar(select(CheckIn.scanned_at).where(CheckIn.ticket_id == ticket.id))
        return DomainError(TICKET_USED, used_at=used_at)  # a ticket becomes used with its check-in
    return DomainError(TICKET_NOT_ACTIVE, status=ticket.status)


def reissue(session: Session, patron: Patron, public_id: str) -> Ticket:
    """A new QR for the ticket (e.g. a screenshot was shared): every older QR stops working."""
    ticket = own_ticket(session, patron, public_id)
    # Not a change of state: only a valid ticket gets a new code.
    changed = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == TicketState.VALID)
        .values(version=Ticket.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(ticket)
    if changed != 1:
        raise refusal(session, ticket)
    return ticket


def _refund(
    session: Session, order: Order, amount: int, *, memo: str, reference: str, actor: str
) -> JournalEntry | None:
    if amount <= 0 or order.entry_id is None:
        return None
    original = session.get(JournalEntry, order.entry_id)
    money = Money(amount, order.currency)
    wallet, income = buyer_accounts(session, order.patron, order.occurrence.event)
    return post_entry(
        session,
        kind="ticket_refund",
        legs=[debit(income, money), credit(wallet, money)],
        memo=memo[:300],
        reference=reference,
        actor=actor,
        refunds=original,
    )


def cancel_ticket(session: Session, patron: Patron, public_id: str) -> Ticket:
    """The patron gives a ticket back before the cut-off: full refund to the wallet."""
    ticket = own_ticket(session, patron, public_id)
    occurrence = ticket.occurrence
    event = occurrence.event
    cutoff = occurrence.starts_at - timedelta(hours=event.cancel_cutoff_hours)
    if not TICKET_TRANSITIONS.allows(ticket.status, TicketState.CANCELLED):
        raise refusal(session, ticket)
    now = utcnow()
    if now >= cutoff:
        raise DomainError(CANCEL_TOO_LATE, cutoff=cutoff)
    changed = session.execute(
        transition(Ticket, TICKET_TRANSITIONS, TicketState.CANCELLED, Ticket.id == ticket.id).values(
            cancelled_at=now, version=Ticket.version + 1
        )
    ).rowcount
    session.refresh(ticket)
    if changed != 1:  # checked in (or cancelled) by a concurrent request
        raise refusal(session, ticket)
    entry = _refund(
        session,
        ticket.order,
        ticket.price,
        memo=f"refund: {event.title}",
        reference=ticket.public_id,
        actor=patron.public_id,
    )
    if entry is not None:
        ticket.refund_entry_id = entry.id
        notify(
            session,
            patron,
            "refund_processed",
            amount=Money(ticket.price, ticket.currency),
            description=f"{event.title} ({in_rome(occurrence.starts_at).strftime('%d/%m/%Y %H:%M')})",
        )
    seats.give_back_type_seats(session, occurrence, ticket.ticket_type, 1)
    seats.give_back_seats(session, occurrence, 1)
    session.flush()
    offer_freed_seats(session, occurrence)
    return ticket


def cancel_occurrence(session: Session, occurrence: Occurrence, *, actor: str) -> dict:
    """The organizer cancels a date before it starts: every unused ticket refunded, holders notified.

    A date that has started can't be cancelled (422): its tickets were used.
    Tickets checked in early (doors open before the start) stay used and are
    not refunded; the answer counts them.
    """
    now = utcnow()
    if occurrence.status == OccurrenceState.SCHEDULED and occurrence.starts_at <= now:
        raise DomainError(OCCURRENCE_STARTED, starts_at=occurrence.starts_at)
    changed = session.execute(
        transition(
            Occurrence, OCCURRENCE_TRANSITIONS, OccurrenceState.CANCELLED, Occurrence.id == occurrence.id
        ).values(cancelled_at=now)
    ).rowcount
    session.refresh(occurrence)
    if changed != 1:
        raise DomainError(INVALID_STATE, status=occurrence.status)
    event = occurrence.event
    refunds: dict[int, int] = defaultdict(int)
    patrons: dict[int, Patron] = {}
    tickets_refunded = 0
    orders = session.scalars(select(Order).where(Order.occurrence_id == occurrence.id).order_by(Order.id)).all()
    for order in orders:
        given_up = session.execute(
            transition(Order, ORDER_TRANSITIONS, OrderState.CANCELLED, Order.id == order.id).values(expires_at=None)
        ).rowcount
        if given_up:
            # No money was taken: the seats just go (the occurrence no longer sells).
            session.execute(
                transition(Ticket, TICKET_TRANSITIONS, TicketState.VOID, Ticket.order_id == order.id).values(
                    version=Ticket.version + 1
                )
            )
            continue
        # Only the tickets this statement moves are refunded: one a concurrent
        # request cancelled or checked in meanwhile is not refunded again.
        cancelled = session.execute(
            transition(Ticket, TICKET_TRANSITIONS, TicketState.CANCELLED, Ticket.order_id == order.id)
            .values(cancelled_at=now, version=Ticket.version + 1)
            .returning(Ticket.id, Ticket.price)
        ).all()
        if not cancelled:
            continue
        amount = sum(price for _, price in cancelled)
        entry = _refund(
            session, order, amount, memo=f"cancelled: {event.title}", reference=occurrence.public_id, actor=actor
        )
        if entry is not None:
            session.execute(
                update(Ticket)
                .where(Ticket.id.in_([id_ for id_, _ in cancelled]))
                .values(refund_entry_id=entry.id)
                .execution_options(synchronize_session=False)
            )
        tickets_refunded += len(cancelled)
        refunds[order.patron_id] += amount
        patrons[order.patron_id] = order.patron
    session.execute(
        transition(
            WaitlistEntry, WAITLIST_TRANSITIONS, WaitlistState.CANCELLED, WaitlistEntry.occurrence_id == occurrence.id
        )
    )
    used = (
        session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.occurrence_id == occurrence.id, Ticket.status == TicketState.USED)
        )
        or 0
    )
    # The seats still taken are those of the people already inside.
    session.execute(update(Occurrence).where(Occurrence.id == occurrence.id).values(sold=used))
    session.expire_all()
    session.refresh(occurrence)
    for patron_id, amount in refunds.items():
        notify(
            session,
            patrons[patron_id],
            "occurrence_cancelled",
            event_title=event.title,
            starts_at=occurrence.starts_at,
            refund=Money(amount, "EUR"),
        )
    session.flush()
    return {
        "tickets_refunded": tickets_refunded,
        "tickets_used": used,
        "patrons_notified": len(refunds),
        "refunded": Money(sum(refunds.values()), "EUR"),
    }


def cancel_pending_order(session: Session, order: Order) -> Order:
    if not release_order(session, order, status=OrderState.CANCELLED):
        raise DomainError(INVALID_STATE, status=order.status)
    return order


def release_order(session: Session, order: Order, *, status: OrderState) -> bool:
    """An order awaiting payment gives its seats back (expired, or cancelled by the patron).

    Here, not in ``purchase``, because freed seats go to the waiting list first,
    and the waiting list buys through ``purchase``: the queue depends on orders,
    never the reverse.
    """
    released = session.execute(
        transition(Order, ORDER_TRANSITIONS, status, Order.id == order.id).values(expires_at=None)
    ).rowcount
    session.refresh(order, ["status", "expires_at"])
    if released != 1:
        return False
    voided = (
        session.execute(
            transition(Ticket, TICKET_TRANSITIONS, TicketState.VOID, Ticket.order_id == order.id).returning(
                Ticket.ticket_type_id
            )
        )
        .scalars()
        .all()
    )
    for ticket in order.tickets:
        session.refresh(ticket, ["status"])
    per_type: dict[int, int] = {}
    for ticket_type_id in voided:
        per_type[ticket_type_id] = per_type.get(ticket_type_id, 0) + 1
    occurrence = order.occurrence
    for ticket_type in occurrence.event.ticket_types:
        if ticket_type.id in per_type:
            seats.give_back_type_seats(session, occurrence, ticket_type, per_type[ticket_type.id])
    seats.give_back_seats(session, occurrence, len(voided))
    session.flush()
    offer_freed_seats(session, occurrence)
    return True


def expire_pending_orders(session: Session, now: datetime | None = None) -> int:
    """Scheduler job: release the seats of orders still awaiting payment past their expiry."""
    now = now or utcnow()
    count = 0
    due = session.scalars(
        select(Order)
        .where(Order.status == OrderState.AWAITING_PAYMENT, Order.expires_at <= now)
        .order_by(Order.id)
        .limit(500)
    ).all()
    for order in due:
        if release_order(session, order, status=OrderState.EXPIRED):
            count += 1
    return count
