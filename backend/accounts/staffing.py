"""Networks, libraries and staff users (``borsellino admin`` and the admin API).

Admins act within their own network; creating a network is a CLI task of
the cooperation's operators, not of any network's admin.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts import sessions
from backend.accounts.errors import STAFF_SCOPE_INVALID
from backend.accounts.models import Library, Network, Partner, PartnerVenue, StaffUser
from backend.auth.passwords import hash_secret
from backend.db import get_or_404
from backend.errors import CONFLICT, NOT_FOUND, DomainError
from backend.finance import audit


def create_network(session: Session, code: str, name: str) -> Network:
    if session.scalar(select(Network.id).where(Network.code == code)) is not None:
        raise DomainError(CONFLICT, param="code")
    network = Network(code=code, name=name)
    session.add(network)
    session.flush()
    return network


def network_by_code(session: Session, code: str) -> Network:
    network = session.scalar(select(Network).where(Network.code == code))
    if network is None:
        raise DomainError(NOT_FOUND, param="network")
    return network


def network_by_public_id(session: Session, public_id: str) -> Network:
    network = get_or_404(session, Network, public_id)
    return network


def create_library(
    session: Session, network: Network, *, code: str, name: str, city: str = "", address: str = ""
) -> Library:
    exists = session.scalar(select(Library.id).where(Library.network_id == network.id, Library.code == code))
    if exists is not None:
        raise DomainError(CONFLICT, param="code")
    library = Library(network=network, code=code, name=name, city=city, address=address)
    session.add(library)
    session.flush()
    return library


def list_libraries(session: Session, network: Network) -> list[Library]:
    return list(session.scalars(select(Library).where(Library.network_id == network.id).order_by(Library.id)))


def create_venue(session: Session, network: Network, *, name: str, city: str = "") -> PartnerVenue:
    venue = PartnerVenue(network=network, name=name, city=city)
    session.add(venue)
    session.flush()
    return venue


def create_staff(
    session: Session,
    network: Network,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    library_ids: list[str] = (),
    library_codes: list[str] = (),
    venue_id: str | None = None,
    partner_id: str | None = None,
    language: str = "it",
) -> StaffUser:
    """A staff user with the scope their role needs, all inside ``network``."""
    email = email.strip().lower()
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise DomainError(CONFLICT, param="email")
    libraries = []
    if library_ids or library_codes:
        by = Library.public_id.in_(library_ids) if library_ids else Library.code.in_(library_codes)
        libraries = list(session.scalars(select(Library).where(Library.network_id == network.id, by)))
        if len(libraries) != len(set(library_ids or library_codes)):
            raise DomainError(STAFF_SCOPE_INVALID, param="library_ids", role=role, reason="library not in this network")
    venue = None
    if venue_id:
        venue = session.scalar(
            select(PartnerVenue).where(PartnerVenue.public_id == venue_id, PartnerVenue.network_id == network.id)
        )
        if venue is None:
            raise DomainError(
                STAFF_SCOPE_INVALID, param="partner_venue_id", role=role, reason="venue not in this network"
            )
    # Partner staff act for their organisation: at one venue, or (no venue) at all of its venues.
    partner = venue.partner if venue is not None else None
    if partner_id:
        partner = session.scalar(select(Partner).where(Partner.public_id == partner_id))
        if partner is None or (venue is not None and venue.partner_id != partner.id):
            raise DomainError(
                STAFF_SCOPE_INVALID, param="partner_id", role=role, reason="a partner that owns the venue"
            )
    if role == "librarian" and not libraries:
        raise DomainError(STAFF_SCOPE_INVALID, param="library_ids", role=role, reason="at least one library")
    if role == "partner" and venue is None and partner is None:
        raise DomainError(STAFF_SCOPE_INVALID, param="partner_venue_id", role=role, reason="a partner venue")
    if role != "librarian" and libraries or role != "partner" and (venue is not None or partner is not None):
        raise DomainError(STAFF_SCOPE_INVALID, param="role", role=role, reason="scope does not fit the role")
    user = StaffUser(
        email=email,
        name=name,
        role=role,
        network=network,
        password_hash=hash_secret(password),
        libraries=libraries,
        partner_venue=venue,
        partner=partner,
        language=language,
    )
    session.add(user)
    session.flush()
    audit.record(session, "staff.create", target=user.public_id, before=None, after=_rights(user))
    return user


def _rights(user: StaffUser) -> dict:
    """A staff user's rights as the audit trail keeps them (no email, no name)."""
    return {
        "role": user.role,
        "active": user.active is not False,
        "libraries": sorted(library.public_id for library in user.libraries),
        "partner_venue": user.partner_venue.public_id if user.partner_venue else None,
        "partner": user.partner.public_id if user.partner else None,
    }


def list_staff(session: Session, network: Network) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).where(StaffUser.network_id == network.id).order_by(StaffUser.id)))


def deactivate_staff(session: Session, network: Network, public_id: str) -> StaffUser:
    user = get_or_404(session, StaffUser, public_id, network_id=network.id)
    before = _rights(user)
    user.active = False
    audit.record(session, "staff.deactivate", target=user.public_id, before=before, after=_rights(user))
    sessions.revoke_all(session, user, "deactivated")
    return user
