"""Who sees a guide, and who curates it.

Patrons see published guides whose visibility is ``everyone``, and those
restricted to a ``network`` when it is their home network; anything else is a
404, like a missing guide. Curators are the staff of the guide's library (or
of its network, for a network's guide): the same rule as an event's organizer,
so it is the events domain's ``may_manage`` that decides.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.accounts.models import Network, Patron
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library
from backend.errors import NOT_FOUND, DomainError
from backend.events.access import may_manage
from backend.guides.models import Guide, GuideState, Kit, Visibility


def visible_to(patron: Patron):
    """SQL condition: guides this patron may see."""
    return (Guide.state == GuideState.PUBLISHED) & or_(
        Guide.visibility == Visibility.EVERYONE,
        (Guide.visibility == Visibility.NETWORK) & (Guide.network_id == patron.home_network_id),
    )


def visible_guide(session: Session, patron: Patron, public_id: str) -> Guide:
    guide = session.scalar(select(Guide).where(Guide.public_id == public_id, visible_to(patron)))
    if guide is None:
        raise DomainError(NOT_FOUND)
    return guide


def may_curate(session: Session, principal: Principal, guide: Guide) -> bool:
    return may_manage(session, principal, guide)  # same shape: library, or network when library is NULL


def curated_guide(session: Session, principal: Principal, public_id: str) -> Guide:
    guide = session.scalar(select(Guide).where(Guide.public_id == public_id))
    if guide is None or not may_curate(session, principal, guide):
        raise DomainError(NOT_FOUND)
    return guide


def managed_kit(session: Session, principal: Principal, public_id: str) -> Kit:
    kit = session.scalar(select(Kit).where(Kit.public_id == public_id))
    if kit is None or not acts_for_library(principal, kit.library):
        raise DomainError(NOT_FOUND)
    return kit


def network_of(session: Session, principal: Principal) -> Network:
    network = session.scalar(select(Network).where(Network.public_id == principal.network_id))
    if network is None:
        raise DomainError(NOT_FOUND)
    return network
