"""Who may manage an event or work its door: staff of the organizer.

A library's events: its librarians and its network's admins. A network's
events: the network's admins and the librarians of its libraries. Anything
outside the caller's scope is a 404, like a missing object.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library
from backend.db import get_or_404
from backend.errors import NOT_FOUND, DomainError
from backend.events.models import Event, Occurrence


def may_manage(session: Session, principal: Principal, event: Event) -> bool:
    if event.library is not None:
        return acts_for_library(principal, event.library)
    if principal.role == "admin":
        return event.network.public_id == principal.network_id
    if principal.role == "librarian":
        return bool(
            session.scalar(
                select(Library.id).where(
                    Library.network_id == event.network_id, Library.public_id.in_(principal.library_ids)
                )
            )
        )
    return False


def managed_event(session: Session, principal: Principal, public_id: str) -> Event:
    event = get_or_404(session, Event, public_id)
    if not may_manage(session, principal, event):
        raise DomainError(NOT_FOUND)
    return event


def managed_occurrence(session: Session, principal: Principal, public_id: str) -> Occurrence:
    occurrence = get_or_404(session, Occurrence, public_id)
    if not may_manage(session, principal, occurrence.event):
        raise DomainError(NOT_FOUND)
    return occurrence


def organizer_for(
    session: Session, principal: Principal, *, library_id: str | None, network_id: str | None
) -> tuple[Network, Library | None]:
    """Resolve the organizer named in a request, within the caller's scope."""
    from backend.auth.scope import require_library

    if library_id:
        library = require_library(principal, session.scalar(select(Library).where(Library.public_id == library_id)))
        return library.network, library
    network = get_or_404(session, Network, network_id)
    if principal.role != "admin" or principal.network_id != network.public_id:
        raise DomainError(NOT_FOUND)
    return network, None
