"""Periodic work of the events domain, registered in ``backend.jobs.registry``.

- ``settle_pending_orders``: orders awaiting a card top-up are paid as soon as
  the wallet holds enough (a safety net if the top-up path did not call
  ``complete_pending_orders_for``), and past their hold time they release their seats;
- ``expire_waitlist_offers``: unused offers pass to the next in line;
- ``send_event_reminders``: holders of tickets for dates in the next 24 h
  get one ``event_reminder`` each (deduplicated per patron and date).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.db import utcnow
from backend.events.models import Event, Occurrence, OccurrenceState, Order, OrderState, Ticket, TicketState
from backend.events.purchase import complete_pending_orders_for
from backend.events.tickets import expire_pending_orders
from backend.events.waitlist import expire_offers
from backend.notify.services import notify


def settle_pending_orders(session: Session, now: datetime | None = None) -> dict:
    now = now or utcnow()
    patrons = session.scalars(
        select(Patron)
        .where(
            Patron.id.in_(
                select(Order.patron_id)
                .where(Order.status == OrderState.AWAITING_PAYMENT, Order.expires_at > now)
                .order_by(Order.id)
                .limit(500)
            )
        )
        .order_by(Patron.id)
    ).all()
    paid = sum(len(complete_pending_orders_for(session, patron, now=now)) for patron in patrons)
    return {"paid": paid, "expired": expire_pending_orders(session, now)}


def expire_waitlist_offers(session: Session, now: datetime | None = None) -> int:
    return expire_offers(session, now)


def send_event_reminders(session: Session, now: datetime | None = None) -> int:
    now = now or utcnow()
    rows = session.execute(
        select(Ticket.patron_id, Occurrence)
        .join(Occurrence, Occurrence.id == Ticket.occurrence_id)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Ticket.status == TicketState.VALID,
            Occurrence.status == OccurrenceState.SCHEDULED,
            Occurrence.starts_at > now,
            Occurrence.starts_at <= now + timedelta(hours=24),
        )
        .distinct()
    ).all()
    sent = 0
    for patron_id, occurrence in rows:
        patron = session.get(Patron, patron_id)
        note = notify(
            session,
            patron,
            "event_reminder",
            dedupe_key=f"event_reminder:{occurrence.public_id}:{patron.public_id}",
            event_title=occurrence.event.title,
            starts_at=occurrence.starts_at,
            venue=occurrence.event.venue_name,
        )
        sent += note is not None
    return sent
