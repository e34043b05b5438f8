"""Whom a partner staff member acts for: their partner, and maybe one venue of it.

Another partner's venues, offers, redemptions and statements are 404 to them, as if
they did not exist. Network admins and finance manage the partners of their network.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from backend.accounts.models import Partner, PartnerVenue, StaffUser
from backend.accounts.services import person_of
from backend.auth.principal import Principal
from backend.db import get_or_404
from backend.errors import NOT_FOUND, DomainError


@dataclass(frozen=True)
class TillScope:
    staff: StaffUser
    partner: Partner
    venue: PartnerVenue | None  # None: every venue of the partner

    def venue_by_id(self, session: Session, venue_id: str, param: str = "venue_id") -> PartnerVenue:
        if self.venue is not None:  # staff of one venue: no other is theirs
            if self.venue.public_id != venue_id:
                raise DomainError(NOT_FOUND, param=param)
            return self.venue
        return get_or_404(session, PartnerVenue, venue_id, param=param, partner_id=self.partner.id)


# Built once: every request of a till runs it.
_TILL_STAFF = (
    select(StaffUser)
    .where(StaffUser.public_id == bindparam("subject"), StaffUser.active.is_(True))
    .options(joinedload(StaffUser.partner), joinedload(StaffUser.partner_venue))
)


def till_scope(session: Session, principal: Principal) -> TillScope:
    if principal.role != "partner":
        raise DomainError(NOT_FOUND)
    # One query for the user, their partner and venue: every validation at a till starts here.
    staff = session.scalar(_TILL_STAFF, {"subject": principal.subject})
    if staff is None:
        staff = person_of(session, principal)  # raises the usual "signed out" answer
    partner = staff.partner or (staff.partner_venue.partner if staff.partner_venue is not None else None)
    if principal.role != "partner" or partner is None:
        raise DomainError(NOT_FOUND)
    return TillScope(staff, partner, staff.partner_venue)


def managed_partner(session: Session, principal: Principal, partner_id: str) -> Partner:
    """A partner an admin (or finance) of its network may manage or read."""
    partner = get_or_404(session, Partner, partner_id, param="partner_id")
    if partner.network.public_id != principal.network_id:
        raise DomainError(NOT_FOUND, param="partner_id")
    return partner
