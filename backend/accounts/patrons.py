"""Patron records kept by the libraries: created at the desk, imported in batches.

A patron belongs to a home network but is served everywhere in the
cooperation, so any librarian may find a patron by card or membership code;
creating one needs a home library within the caller's scope. The batch
import (API and ``borsellino admin import-patrons``) is keyed by card number
and idempotent: sending the same rows again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts import membership
from backend.accounts.errors import CARD_NUMBER_TAKEN, OUT_OF_SCOPE_LIBRARY
from backend.accounts.models import Library, Network, Patron
from backend.accounts.signin import normalize_card
from backend.auth.passwords import hash_secret
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library
from backend.config import Settings
from backend.db import get_or_404
from backend.errors import NOT_FOUND, DomainError

# Fields the library management system owns (the batch import overwrites them).
IMPORTED_FIELDS = ("first_name", "last_name", "email", "phone", "language")


def _library_in_scope(session: Session, principal: Principal, library_public_id: str) -> Library:
    library = session.scalar(select(Library).where(Library.public_id == library_public_id))
    if library is None or not acts_for_library(principal, library):
        raise DomainError(OUT_OF_SCOPE_LIBRARY, param="home_library_id")
    return library


def create_patron(session: Session, principal: Principal, data: dict) -> Patron:
    library = _library_in_scope(session, principal, data["home_library_id"])
    card = normalize_card(data["card_number"])
    if session.scalar(select(Patron.id).where(Patron.card_number == card)) is not None:
        raise DomainError(CARD_NUMBER_TAKEN, param="card_number", card_number=card)
    patron = Patron(
        card_number=card,
        home_network=library.network,
        home_library=library,
        pin_hash=hash_secret(data["pin"]),
        status="pending",
        **{name: data.get(name) for name in IMPORTED_FIELDS if data.get(name) is not None},
    )
    session.add(patron)
    session.flush()
    return patron


def find_by_card(session: Session, card_number: str) -> Patron:
    patron = session.scalar(select(Patron).where(Patron.card_number == normalize_card(card_number)))
    if patron is None or patron.status == "deleted":
        raise DomainError(NOT_FOUND, param="card_number")
    return patron


def get_patron(session: Session, public_id: str) -> Patron:
    patron = get_or_404(session, Patron, public_id)
    if patron.status == "deleted":
        raise DomainError(NOT_FOUND)
    return patron


def identify_by_membership_code(session: Session, settings: Settings, token: str) -> Patron:
    return membership.identify(session, settings, token)


@dataclass(frozen=True)
class StaffView:
    """A patron as a staff member sees them: who they are, their card and home library,
    and their contact data only if the staff member belongs to the patron's own network
    (a desk of another network needs no email or phone to take a payment)."""

    patron: Patron
    contacts_visible: bool

    public_id = property(lambda self: self.patron.public_id)
    card_number = property(lambda self: self.patron.card_number)
    first_name = property(lambda self: self.patron.first_name)
    last_name = property(lambda self: self.patron.last_name)
    language = property(lambda self: self.patron.language)
    status = property(lambda self: self.patron.status)
    home_network = property(lambda self: self.patron.home_network)
    home_library = property(lambda self: self.patron.home_library)

    @property
    def email(self) -> str | None:
        return self.patron.email if self.contacts_visible else None

    @property
    def phone(self) -> str | None:
        return self.patron.phone if self.contacts_visible else None


def as_seen_by(principal: Principal, patron: Patron) -> StaffView:
    return StaffView(patron, contacts_visible=principal.network_id == patron.home_network.public_id)


@dataclass
class RowResult:
    card_number: str
    result: str  # created | updated | unchanged | rejected
    patron: Patron | None = None
    error: str | None = None


def upsert_patrons(session: Session, network: Network, rows: list[dict]) -> list[RowResult]:
    """Create or update patrons of ``network`` by card number.

    Each row: card_number, first_name, last_name, optional email, phone,
    language, library_code and pin (used only when creating). A card that
    belongs to another network, or an unknown library code, rejects that row
    only.
    """
    libraries = {lib.code: lib for lib in session.scalars(select(Library).where(Library.network_id == network.id))}
    cards = [normalize_card(row["card_number"]) for row in rows]
    existing = {p.card_number: p for p in session.scalars(select(Patron).where(Patron.card_number.in_(cards)))}
    results = []
    for card, row in zip(cards, rows):
        code = row.get("library_code")
        if code and code not in libraries:
            results.append(RowResult(card, "rejected", error="unknown_library_code"))
            continue
        patron = existing.get(card)
        if patron is not None and (patron.home_network_id != network.id or patron.status == "deleted"):
            results.append(RowResult(card, "rejected", error="card_number_taken"))
            continue
        values = {name: row[name] for name in IMPORTED_FIELDS if row.get(name) is not None}
        if code:
            values["home_library"] = libraries[code]
        if patron is None:
            if not row.get("pin"):
                results.append(RowResult(card, "rejected", error="pin_required"))
                continue
            patron = Patron(
                card_number=card, home_network=network, pin_hash=hash_secret(row["pin"]), status="pending", **values
            )
            session.add(patron)
            existing[card] = patron
            results.append(RowResult(card, "created", patron))
            continue
        changed = {k: v for k, v in values.items() if getattr(patron, k) != v}
        for name, value in changed.items():
            setattr(patron, name, value)
        results.append(RowResult(card, "updated" if changed else "unchanged", patron))
    session.flush()
    return results
