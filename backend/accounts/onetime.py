"""One-time tokens sent by email: verify an address, reset a PIN or a password.

The token travels only in the email; the database keeps its SHA-256. It
expires, works once, and a newer token of the same purpose voids older ones.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.accounts.errors import INVALID_ONE_TIME_TOKEN
from backend.accounts.models import OneTimeToken, Patron, StaffUser
from backend.accounts.sessions import token_hash
from backend.config import Settings
from backend.db import utcnow
from backend.errors import DomainError

LIFETIME = {
    "verify_email": timedelta(hours=48),
    "reset_pin": timedelta(minutes=30),
    "reset_password": timedelta(minutes=30),
}


def _owner_filter(person: Patron | StaffUser):
    if isinstance(person, Patron):
        return OneTimeToken.patron_id == person.id
    return OneTimeToken.staff_user_id == person.id


def issue(session: Session, person: Patron | StaffUser, purpose: str, *, email: str | None = None) -> str:
    now = utcnow()
    session.execute(
        update(OneTimeToken)
        .where(_owner_filter(person), OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(24)
    session.add(
        OneTimeToken(
            token_hash=token_hash(token),
            purpose=purpose,
            email=email,
            created_at=now,
            expires_at=now + LIFETIME[purpose],
            patron_id=person.id if isinstance(person, Patron) else None,
            staff_user_id=person.id if isinstance(person, StaffUser) else None,
        )
    )
    return token


def consume(session: Session, token: str, purposes: tuple[str, ...]) -> OneTimeToken:
    """The unused, unexpired token of one of ``purposes``, now marked used."""
    now = utcnow()
    row = session.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == token_hash(token.strip())))
    if row is None or row.purpose not in purposes or row.expires_at <= now:
        raise DomainError(INVALID_ONE_TIME_TOKEN, param="token")
    used = session.execute(
        update(OneTimeToken).where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if used == 0:
        raise DomainError(INVALID_ONE_TIME_TOKEN, param="token")
    return row


def link(settings: Settings, path: str, token: str) -> str:
    base = settings.public_base_url.rstrip("/")
    return f"{base}{path}?token={token}"
