"""Whom a partner staff member acts for: their partner, and maybe one venue of it.

Another partner's venues, offers, redemptions and statements are 404 to them, as if
they did not exist. Network admins and finance manage the partners of their network.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.accounts.models import Partner, PartnerVenue, StaffUser
from backend.accounts.services import person_of
from backend.auth.principal import Principal
from backend.db import get_or_404
from backend.errors import NOT_FOUND, DomainError
from backend.partners.passes import loaded


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


_STAFF, _PARTNERS, _VENUES = StaffUser.__table__, Partner.__table__, PartnerVenue.__table__
# Built once: every request of a till runs it. The user, their venue (if any) and their
# partner (their own, or their venue's), as Core rows made persistent objects.
_TILL_STAFF = (
    select(*_STAFF.c, *_VENUES.c, *_PARTNERS.c)
    .select_from(
        _STAFF.outerjoin(_VENUES, _VENUES.c.id == _STAFF.c.partner_venue_id).outerjoin(
            _PARTNERS, _PARTNERS.c.id == func.coalesce(_STAFF.c.partner_id, _VENUES.c.partner_id)
        )
    )
    .where(_STAFF.c.public_id == bindparam("subject"), _STAFF.c.active.is_(True))
)
_STAFF_END, _VENUE_END = len(_STAFF.c), len(_STAFF.c) + len(_VENUES.c)
_VENUE_ID, _PARTNER_ID = _VENUES.c.keys().index("id"), _PARTNERS.c.keys().index("id")


def _staff_row(session: Session, subject: str) -> StaffUser | None:
    row = session.connection().execute(_TILL_STAFF, {"subject": subject}).first()
    if row is None:
        return None
    staff = loaded(session, StaffUser, row[:_STAFF_END])
    venue_values, partner_values = row[_STAFF_END:_VENUE_END], row[_VENUE_END:]
    venue = loaded(session, PartnerVenue, venue_values) if venue_values[_VENUE_ID] is not None else None
    partner = loaded(session, Partner, partner_values) if partner_values[_PARTNER_ID] is not None else None
    set_committed_value(staff, "partner_venue", venue)
    set_committed_value(staff, "partner", partner if staff.partner_id is not None else None)
    if venue is not None and partner is not None and venue.partner_id == partner.id:
        set_committed_value(venue, "partner", partner)
    return staff


def till_scope(session: Session, principal: Principal) -> TillScope:
    if principal.role != "partner":
        raise DomainError(NOT_FOUND)
    # One query for the user, their partner and venue: every validation at a till starts here.
    staff = _staff_row(session, principal.subject)
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
