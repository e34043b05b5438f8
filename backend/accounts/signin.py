"""Checking card + PIN and email + password, with lockout after repeated failures.

Every check does the same work whether or not the account exists (Argon2
against a dummy hash, ``backend.auth.passwords``) and fails with the same
``invalid_credentials``. After ``MAX_FAILURES`` consecutive failures for one
identifier it is locked for ``LOCK_MINUTES``; flask-limiter adds per-IP and
per-identifier rate limits in front (``backend.accounts.api``).

A failure must be remembered although the request fails (and its
transaction rolls back), so the counter is written in its own short
transaction by ``remember_failure``.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.errors import INVALID_CREDENTIALS, TOO_MANY_ATTEMPTS
from backend.accounts.models import Patron, SignInThrottle, StaffUser
from backend.auth.passwords import verify_secret
from backend.db import utcnow
from backend.errors import DomainError

MAX_FAILURES = 5
LOCK_MINUTES = 15


class SignInFailed(Exception):
    """Wrong or unknown credentials for ``key``; the view records it and answers 401."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def card_key(card_number: str) -> str:
    return "card:" + card_number.strip().upper()


def email_key(scope: str, email: str) -> str:
    return f"{scope}-email:" + email.strip().lower()


def normalize_card(card_number: str) -> str:
    return card_number.strip().upper()


def _refuse_if_locked(session: Session, key: str) -> None:
    locked_until = session.scalar(select(SignInThrottle.locked_until).where(SignInThrottle.key == key))
    now = utcnow()
    if locked_until is not None and locked_until > now:
        minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
        raise DomainError(TOO_MANY_ATTEMPTS, retry_after_minutes=minutes, headers={"Retry-After": str(minutes * 60)})


def _succeeded(session: Session, key: str) -> None:
    throttle = session.scalar(select(SignInThrottle).where(SignInThrottle.key == key))
    if throttle is not None:
        session.delete(throttle)


def remember_failure(session: Session, key: str) -> None:
    """Count one failure for ``key`` (own transaction: see the module docstring)."""
    now = utcnow()
    throttle = session.scalar(select(SignInThrottle).where(SignInThrottle.key == key).with_for_update())
    if throttle is None:
        try:
            with session.begin_nested():
                throttle = SignInThrottle(key=key, failures=0, updated_at=now)
                session.add(throttle)
        except IntegrityError:  # a concurrent first failure inserted it
            throttle = session.scalar(select(SignInThrottle).where(SignInThrottle.key == key).with_for_update())
    if throttle.locked_until is not None and throttle.locked_until <= now:
        throttle.failures, throttle.locked_until = 0, None
    throttle.failures += 1
    throttle.updated_at = now
    if throttle.failures >= MAX_FAILURES:
        throttle.locked_until = now + timedelta(minutes=LOCK_MINUTES)


def check_card_and_pin(session: Session, card_number: str, pin: str) -> Patron:
    key = card_key(card_number)
    _refuse_if_locked(session, key)
    patron = session.scalar(select(Patron).where(Patron.card_number == normalize_card(card_number)))
    usable = patron is not None and patron.status != "deleted"
    ok = verify_secret(patron.pin_hash if usable else None, pin)
    if not (ok and usable):
        raise SignInFailed(key)
    _succeeded(session, key)
    return patron


def check_patron_password(session: Session, email: str, password: str) -> Patron:
    key = email_key("patron", email)
    _refuse_if_locked(session, key)
    patron = session.scalar(select(Patron).where(Patron.login_email == email.strip().lower()))
    usable = patron is not None and patron.status == "active"
    ok = verify_secret(patron.password_hash if usable else None, password)
    if not (ok and usable):
        raise SignInFailed(key)
    _succeeded(session, key)
    return patron


def check_staff_password(session: Session, email: str, password: str) -> StaffUser:
    key = email_key("staff", email)
    _refuse_if_locked(session, key)
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    usable = user is not None and user.active
    ok = verify_secret(user.password_hash if usable else None, password)
    if not (ok and usable):
        raise SignInFailed(key)
    _succeeded(session, key)
    return user


def invalid_credentials() -> DomainError:
    return DomainError(INVALID_CREDENTIALS)
