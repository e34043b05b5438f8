"""Arrange events for tests: a library with a librarian, a published event, funded patrons."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from backend.accounts.models import Library, Network, Patron, StaffUser
from backend.db import utcnow
from backend.events.models import Event, Occurrence, Order, Ticket, TicketType
from backend.ledger.audit import run_audit
from backend.ledger.services import wallet_of
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff
from tests.support.ledger import fund_wallet


@dataclass
class World:
    network: Network
    library: Library
    librarian: StaffUser
    event: Event
    occurrence: Occurrence
    full: TicketType
    reduced: TicketType
    free_event: Event | None = None
    patrons: list[Patron] = field(default_factory=list)


def make_event(
    session,
    network,
    library,
    *,
    capacity=50,
    price=1200,
    starts_in=timedelta(days=7),
    title="Serata di letture",
    per_patron_limit=4,
    free=False,
    status="published",
    latitude=45.528,
    longitude=9.04,
    category="reading",
    **extra,
) -> Event:
    event = Event(
        network=network,
        library=library,
        title=title,
        description="Letture ad alta voce",
        category=category,
        venue_name="Sala conferenze",
        venue_address="Via Meda 20, Rho",
        latitude=latitude,
        longitude=longitude,
        status=status,
        per_patron_limit=per_patron_limit,
        **extra,
    )
    session.add(event)
    if free:
        event.ticket_types.append(TicketType(name="Ingresso libero", kind="free", price=0, position=0))
    else:
        event.ticket_types.append(TicketType(name="Intero", kind="full", price=price, position=0))
        event.ticket_types.append(
            TicketType(name="Ridotto", kind="reduced", price=price // 2, condition="Under 26 e over 65", position=1)
        )
    event.occurrences.append(Occurrence(starts_at=utcnow() + starts_in, capacity=capacity, sold=0, status="scheduled"))
    session.flush()
    return event


def make_world(session, *, capacity=50, price=1200, patrons=2, funds=10_000, **kw) -> World:
    network = make_network(session)
    library = make_library(session, network)
    librarian = make_staff(session, "librarian", network, libraries=[library])
    event = make_event(session, network, library, capacity=capacity, price=price, **kw)
    world = World(
        network, library, librarian, event, event.occurrences[0], event.ticket_types[0], event.ticket_types[-1]
    )
    for _ in range(patrons):
        patron = make_patron(session, network, library)
        if funds:
            fund_wallet(session, patron, funds)
        world.patrons.append(patron)
    session.commit()
    return world


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def buy_body(ticket_type, quantity=1, **extra) -> dict:
    return {"items": [{"ticket_type": ticket_type.public_id, "quantity": quantity}], **extra}


def balance(session, patron) -> int:
    session.expire_all()
    wallet = wallet_of(session, patron)
    session.refresh(wallet)
    value = wallet.balance
    session.commit()  # end the read: on SQLite an open transaction would block the API
    return value


def counts(session, occurrence) -> dict:
    """What a refused request must leave untouched."""
    session.expire_all()
    found = {
        "sold": session.scalar(select(Occurrence.sold).where(Occurrence.id == occurrence.id)),
        "orders": session.scalar(select(func.count()).select_from(Order)),
        "tickets": session.scalar(select(func.count()).select_from(Ticket)),
    }
    session.commit()
    return found


def assert_audit_clean(session):
    session.expire_all()
    report = run_audit(session)
    session.commit()
    assert report.clean, report.problems


def in_days(days: float):
    return utcnow() + timedelta(days=days)


def auth(person) -> dict:
    """Bearer header; ends the arranging session's read (SQLite would block the API on it)."""
    headers = bearer(person)
    session = object_session(person)
    if session is not None:
        session.commit()
    return headers
