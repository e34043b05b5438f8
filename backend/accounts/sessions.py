"""Signed-in devices: sessions, rotating refresh tokens, revocation.

A session is a family of refresh tokens. Each refresh token is used once:
``rotate`` marks it used and hands out a new one. Presenting a used token
again means it was copied (or the app raced itself): the whole session is
revoked, so a stolen token is worth at most one refresh.

Access tokens name their session (``sid``); ``check_session_alive`` is
registered in ``backend.web.policy.token_checks`` by the accounts views and costs one lookup by
the unique index on ``auth_sessions.public_id`` per authenticated request.
That is the price of logout taking effect at once instead of after the
access token's 15 minutes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from backend.accounts.claims import patron_claims, staff_claims
from backend.accounts.errors import INVALID_REFRESH_TOKEN
from backend.accounts.models import AuthSession, Patron, RefreshToken, StaffUser
from backend.auth.tokens import InvalidToken, issue_access_token
from backend.config import Settings
from backend.db import utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.hot_sql import HotStatement


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds of life of the access token
    session: AuthSession


def _claims_for(auth_session: AuthSession) -> dict:
    if auth_session.patron is not None:
        return patron_claims(auth_session.patron, auth_session.public_id)
    return staff_claims(auth_session.staff_user, auth_session.public_id)


def _new_refresh_token(session: Session, auth_session: AuthSession, now: datetime) -> str:
    token = "rt_" + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            session=auth_session, token_hash=token_hash(token), created_at=now, expires_at=auth_session.expires_at
        )
    )
    return token


def _pair(session: Session, settings: Settings, auth_session: AuthSession, now: datetime) -> TokenPair:
    minutes = settings.access_token_minutes
    return TokenPair(
        access_token=issue_access_token(_claims_for(auth_session), settings, minutes=minutes),
        refresh_token=_new_refresh_token(session, auth_session, now),
        expires_in=minutes * 60,
        session=auth_session,
    )


def start_session(
    session: Session,
    settings: Settings,
    person: Patron | StaffUser,
    *,
    device_name: str = "",
    channel: str = "app",
    user_agent: str = "",
) -> TokenPair:
    now = utcnow()
    auth_session = AuthSession(
        patron=person if isinstance(person, Patron) else None,
        staff_user=person if isinstance(person, StaffUser) else None,
        channel=channel,
        device_name=(device_name or "")[:120],
        user_agent=user_agent,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    session.add(auth_session)
    session.flush()
    return _pair(session, settings, auth_session, now)


class RefreshReuse(Exception):
    """A rotated refresh token came back: the caller revokes its session."""

    def __init__(self, session_id: int):
        super().__init__(session_id)
        self.session_id = session_id


def rotate(session: Session, settings: Settings, presented: str) -> TokenPair:
    """Trade a refresh token for a new pair; raises ``RefreshReuse`` on reuse."""
    now = utcnow()
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(presented)))
    if row is None:
        raise DomainError(INVALID_REFRESH_TOKEN)
    # Guarded update: of two concurrent uses of one token exactly one wins.
    used = session.execute(
        update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if used == 0:
        raise RefreshReuse(row.session_id)
    auth_session = row.session
    if auth_session.revoked_at is not None or row.expires_at <= now:
        raise DomainError(INVALID_REFRESH_TOKEN)
    if not _person_may_sign_in(auth_session):
        raise DomainError(INVALID_REFRESH_TOKEN)
    auth_session.last_used_at = now
    return _pair(session, settings, auth_session, now)


def _person_may_sign_in(auth_session: AuthSession) -> bool:
    if auth_session.patron is not None:
        return auth_session.patron.status != "deleted"
    return auth_session.staff_user is not None and auth_session.staff_user.active


def revoke_session_by_id(session: Session, session_id: int, reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def _owned_by(person: Patron | StaffUser) -> tuple:
    """SQL condition: sessions of this patron or staff user."""
    if isinstance(person, Patron):
        return (AuthSession.patron_id == person.id,)
    return (AuthSession.staff_user_id == person.id,)


def revoke_all(session: Session, person: Patron | StaffUser, reason: str) -> int:
    return session.execute(
        update(AuthSession)
        .where(*_owned_by(person), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    ).rowcount


def list_sessions(session: Session, person: Patron | StaffUser) -> list[AuthSession]:
    now = utcnow()
    return list(
        session.scalars(
            select(AuthSession)
            .where(*_owned_by(person), AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
            .order_by(AuthSession.last_used_at.desc(), AuthSession.id.desc())
        )
    )


def revoke_own_session(session: Session, person: Patron | StaffUser, public_id: str, reason: str) -> None:
    """Revoke one of the caller's sessions; someone else's is a 404."""
    target = session.scalar(select(AuthSession).where(AuthSession.public_id == public_id, *_owned_by(person)))
    if target is None:
        raise DomainError(NOT_FOUND, param="session_id")
    if target.revoked_at is None:
        target.revoked_at = utcnow()
        target.revoked_reason = reason


# Built once, run on the session's connection: every authenticated request runs it.
_sessions = AuthSession.__table__
_SESSION_REVOKED_AT = HotStatement(select(_sessions.c.revoked_at).where(_sessions.c.public_id == bindparam("sid")))


def check_session_alive(session: Session, claims: dict) -> None:
    """Token check: an access token of a revoked (or unknown) session is refused.

    Tokens without ``sid`` (issued by the test helpers only) are not tied to a session.
    """
    sid = claims.get("sid")
    if sid is None:
        return
    revoked_at = _SESSION_REVOKED_AT.first(session, {"sid": sid})
    if revoked_at is None or revoked_at[0] is not None:
        raise InvalidToken("session revoked")
