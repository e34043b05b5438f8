"""Scope checks shared by every domain: may this staff member act here?

Outside their scope a caller gets the same 404 as for a missing object, so
ids of other libraries' things reveal nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.accounts.models import Library
from backend.auth.principal import Principal
from backend.errors import NOT_FOUND, DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from backend.accounts.models import Network


def acts_for_library(principal: Principal, library: Library) -> bool:
    """Librarians for their own libraries; admins (and finance) for their network's."""
    if principal.role == "librarian":
        return library.public_id in principal.library_ids
    if principal.role in ("admin", "finance"):
        return bool(library.network.public_id == principal.network_id)
    return False


def require_library(principal: Principal, library: Library | None) -> Library:
    if library is None or not acts_for_library(principal, library):
        raise DomainError(NOT_FOUND)
    return library


def acts_for_owner(session: Session, principal: Principal, network: Network, library: Library | None) -> bool:
    """Staff of an owner that is a library (see ``acts_for_library``) or a whole network.

    A network's things: its admins (and finance) and the librarians of any of its libraries.
    """
    if library is not None:
        return acts_for_library(principal, library)
    if principal.role in ("admin", "finance"):
        return network.public_id == principal.network_id
    if principal.role == "librarian":
        from sqlalchemy import select

        return bool(
            session.scalar(
                select(Library.id).where(Library.network_id == network.id, Library.public_id.in_(principal.library_ids))
            )
        )
    return False


def libraries_in_scope(session: Session, principal: Principal) -> list[Library]:
    """The libraries a staff member acts for (``acts_for_library``), by name: a librarian's, or an admin's network's."""
    from sqlalchemy import select

    from backend.accounts.models import Network

    stmt = select(Library).order_by(Library.name)
    if principal.role == "librarian":
        return list(session.scalars(stmt.where(Library.public_id.in_(principal.library_ids or ("-",)))))
    if principal.role in ("admin", "finance"):
        return list(session.scalars(stmt.join(Network).where(Network.public_id == principal.network_id)))
    return []
