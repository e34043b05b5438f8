"""A patron's tickets: list, reissue the QR, cancel with a refund; organizer cancellations.

Refunds go back to the wallet through the ledger as refunds *of the order's
payment* (``refunds=``), so the money returns to the funding lots it came
from and never more than was paid.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.db import utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.events import seats
from backend.events.errors import CANCEL_TOO_LATE, INVALID_STATE, TICKET_NOT_ACTIVE
from backend.events.models import Occurrence, Order, Ticket, WaitlistEntry
from backend.events.purchase import buyer_accounts, release_order
from backend.events.times import in_rome
from backend.events.waitlist import offer_freed_seats
from backend.ledger.models import JournalEntry
from backend.ledger.services import credit, debit, post_entry
from backend.money import Money
from backend.notify.services import notify
from backend.pagination import Page, paginate


def my_tickets(session: Session, patron: Patron, *, limit: int, starting_after: str | None,
               include_past: bool = False) -> Page:
    stmt = select(Ticket).where(Ticket.patron_id == patron.id, Ticket.status.in_(("valid", "reserved")))
    if not include_past:
        stmt = stmt.join(Occurrence, Occurrence.id == Ticket.occurrence_id).where(
            Occurrence.starts_at > utcnow() - timedelta(hours=12))
    return paginate(session, stmt, Ticket, limit=limit, starting_after=starting_after)


def own_ticket(session: Session, patron: Patron, public_id: str) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.public_id == public_id, Ticket.patron_id == patron.id))
    if ticket is None:
        raise DomainError(NOT_FOUND)
    return ticket


def _bump(session: Session, ticket: Ticket, from_status: str, **values) -> bool:
    changed = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.status == from_status)
        .values(version=Ticket.version + 1, **values).execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(ticket)
    return changed == 1


def reissue(session: Session, patron: Patron, public_id: str) -> Ticket:
    """A new QR for the ticket (e.g. a screenshot was shared): every older QR stops working."""
    ticket = own_ticket(session, patron, public_id)
    if not _bump(session, ticket, "valid"):
        raise DomainError(TICKET_NOT_ACTIVE, status=ticket.status)
    return ticket


def _refund(session: Session, order: Order, amount: int, *, memo: str, reference: str,
            actor: str) -> JournalEntry | None:
    if amount <= 0 or order.entry_id is None:
        return None
    original = session.get(JournalEntry, order.entry_id)
    money = Money(amount, order.currency)
    wallet, income = buyer_accounts(session, order.patron, order.occurrence.event)
    return post_entry(
        session, kind="ticket_refund",
        legs=[debit(income, money), credit(wallet, money)],
        memo=memo[:300], reference=reference, actor=actor, refunds=original,
    )


def cancel_ticket(session: Session, patron: Patron, public_id: str) -> Ticket:
    """The patron gives a ticket back before the cut-off: full refund to the wallet."""
    ticket = own_ticket(session, patron, public_id)
    occurrence = ticket.occurrence
    event = occurrence.event
    cutoff = occurrence.starts_at - timedelta(hours=event.cancel_cutoff_hours)
    if ticket.status != "valid":
        raise DomainError(TICKET_NOT_ACTIVE, status=ticket.status)
    if utcnow() >= cutoff:
        raise DomainError(CANCEL_TOO_LATE, cutoff=cutoff)
    now = utcnow()
    if not _bump(session, ticket, "valid", status="cancelled", cancelled_at=now):
        raise DomainError(TICKET_NOT_ACTIVE, status=ticket.status)
    entry = _refund(session, ticket.order, ticket.price, memo=f"refund: {event.title}",
                    reference=ticket.public_id, actor=patron.public_id)
    if entry is not None:
        ticket.refund_entry_id = entry.id
        notify(session, patron, "refund_processed", amount=Money(ticket.price, ticket.currency),
               description=f"{event.title} ({in_rome(occurrence.starts_at).strftime('%d/%m/%Y %H:%M')})")
    seats.give_back_type_seats(session, occurrence, ticket.ticket_type, 1)
    seats.give_back_seats(session, occurrence, 1)
    session.flush()
    offer_freed_seats(session, occurrence)
    return ticket


def cancel_occurrence(session: Session, occurrence: Occurrence, *, actor: str) -> dict:
    """The organizer cancels a date: every paid ticket refunded, holders notified, list closed."""
    now = utcnow()
    changed = session.execute(
        update(Occurrence).where(Occurrence.id == occurrence.id, Occurrence.status == "scheduled")
        .values(status="cancelled", cancelled_at=now).execution_options(synchronize_session=False)
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
        if order.status == "awaiting_payment":
            # No money was taken: the seats just go (the occurrence no longer sells).
            session.execute(update(Order).where(Order.id == order.id).values(status="cancelled", expires_at=None))
            session.execute(update(Ticket).where(Ticket.order_id == order.id, Ticket.status == "reserved")
                            .values(status="void", version=Ticket.version + 1))
            continue
        valid = [t for t in order.tickets if t.status == "valid"]
        if not valid:
            continue
        amount = sum(t.price for t in valid)
        entry = _refund(session, order, amount, memo=f"cancelled: {event.title}",
                        reference=occurrence.public_id, actor=actor)
        for ticket in valid:
            ticket.status, ticket.cancelled_at, ticket.version = "cancelled", now, ticket.version + 1
            ticket.refund_entry_id = entry.id if entry is not None else None
        tickets_refunded += len(valid)
        refunds[order.patron_id] += amount
        patrons[order.patron_id] = order.patron
    session.execute(update(WaitlistEntry).where(
        WaitlistEntry.occurrence_id == occurrence.id, WaitlistEntry.status.in_(("waiting", "offered")))
        .values(status="cancelled"))
    session.execute(update(Occurrence).where(Occurrence.id == occurrence.id).values(sold=0))
    session.refresh(occurrence)
    for patron_id, amount in refunds.items():
        notify(session, patrons[patron_id], "occurrence_cancelled", event_title=event.title,
               starts_at=occurrence.starts_at, refund=Money(amount, "EUR"))
    session.flush()
    return {"tickets_refunded": tickets_refunded, "patrons_notified": len(refunds),
            "refunded": Money(sum(refunds.values()), "EUR")}


def cancel_pending_order(session: Session, order: Order) -> Order:
    if not release_order(session, order, status="cancelled"):
        raise DomainError(INVALID_STATE, status=order.status)
    return order
