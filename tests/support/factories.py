"""Build people and places for tests, and sign them in with a real access token."""

from __future__ import annotations

import itertools

from flask import current_app

from backend.accounts.claims import patron_claims, staff_claims
from backend.accounts.models import Library, Network, PartnerVenue, Patron, StaffUser
from backend.auth.passwords import hash_secret
from backend.auth.tokens import issue_access_token

_seq = itertools.count(1)


def make_network(session, code: str | None = None) -> Network:
    n = next(_seq)
    network = Network(code=code or f"NET{n}", name=f"Rete {n}")
    session.add(network)
    session.flush()
    return network


def make_library(session, network: Network, code: str | None = None) -> Library:
    n = next(_seq)
    library = Library(network=network, code=code or f"LIB{n}", name=f"Biblioteca {n}", city="Rho")
    session.add(library)
    session.flush()
    return library


def make_venue(session, network: Network) -> PartnerVenue:
    venue = PartnerVenue(network=network, name=f"Cinema {next(_seq)}", city="Rho")
    session.add(venue)
    session.flush()
    return venue


def make_patron(
    session,
    network: Network,
    library: Library | None = None,
    *,
    pin: str = "1234",
    status: str = "active",
    language: str = "it",
    card: str | None = None,
) -> Patron:
    n = next(_seq)
    patron = Patron(
        card_number=card or f"CARD{n:08d}",
        home_network=network,
        home_library=library,
        first_name="Nome",
        last_name=f"Cognome{n}",
        pin_hash=hash_secret(pin),
        status=status,
        language=language,
        email=f"patron{n}@example.org",
    )
    session.add(patron)
    session.flush()
    return patron


def make_staff(
    session, role: str, network: Network, *, libraries=(), venue=None, password: str = "staff-password"
) -> StaffUser:
    n = next(_seq)
    user = StaffUser(
        email=f"{role}{n}@example.org",
        name=f"{role.title()} {n}",
        role=role,
        network=network,
        password_hash=hash_secret(password),
        partner_venue=venue,
        libraries=list(libraries),
    )
    session.add(user)
    session.flush()
    return user


def bearer(person) -> dict:
    """Authorization header with a freshly issued access token (needs an app context)."""
    claims = patron_claims(person) if isinstance(person, Patron) else staff_claims(person)
    return {"Authorization": f"Bearer {issue_access_token(claims, current_app.config['SETTINGS'])}"}
