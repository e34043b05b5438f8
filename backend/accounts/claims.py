"""What an access token says about its holder (see ``backend.auth.principal.Principal``)."""

from __future__ import annotations

from backend.accounts.models import Patron, StaffUser


def patron_claims(patron: Patron, session_id: str | None = None) -> dict:
    claims = {"sub": patron.public_id, "role": "patron", "net": patron.home_network.public_id}
    if session_id:
        claims["sid"] = session_id
    return claims


def staff_claims(user: StaffUser, session_id: str | None = None) -> dict:
    claims = {"sub": user.public_id, "role": user.role, "net": user.network.public_id}
    if user.role == "librarian":
        claims["libs"] = [library.public_id for library in user.libraries]
    if user.role == "partner" and user.partner_venue is not None:
        claims["partner"] = user.partner_venue.public_id
    if session_id:
        claims["sid"] = session_id
    return claims
