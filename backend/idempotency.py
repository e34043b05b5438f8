"""``Idempotency-Key``: the first response is stored and replayed.

Semantics (DESIGN.md): same key + same request → the stored status and body,
with ``Idempotent-Replayed: true``; same key + different request → 422
``idempotency_key_reused``; same key while the first is still running → 409
``idempotency_request_in_progress``. Keys belong to the caller (two patrons
may pick the same key) and are kept ``BORSELLINO_IDEMPOTENCY_TTL_HOURS``.

The claim is committed in its own short transaction before the view runs,
so a concurrent duplicate sees it. A success is stored in the same
transaction as the business change (``record_success``, called by the unit
of work): either both commit or neither. A 4xx is stored after the rollback;
a 5xx releases the key so the client may retry.

This module holds the rows and the rules (``claim``, ``store``, ``release``,
``prune_expired``) and needs no app; ``backend.web.idempotency`` applies them
to requests (the ``@idempotent`` view decorator, the console's one-time form keys).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.db import Base, BigId, dialect_insert, utcnow
from backend.errors import DomainError, ErrorCode

IDEMPOTENCY_KEY_MISSING = ErrorCode(
    "idempotency_key_missing", 400,
    it="Questa operazione richiede l'intestazione Idempotency-Key (da 1 a 255 caratteri).",
    en="This operation needs an Idempotency-Key header (1 to 255 characters).",
)
IDEMPOTENCY_KEY_REUSED = ErrorCode(
    "idempotency_key_reused", 422,
    it="Questa Idempotency-Key è già stata usata per una richiesta diversa.",
    en="This Idempotency-Key was already used for a different request.",
)
IDEMPOTENCY_IN_PROGRESS = ErrorCode(
    "idempotency_request_in_progress", 409,
    it="Una richiesta con questa Idempotency-Key è ancora in corso: riprova tra poco.",
    en="A request with this Idempotency-Key is still in progress: retry shortly.",
)

IN_FLIGHT = "in_flight"
DONE = "done"
# A claim whose worker died is taken over after this long (BORSELLINO_IDEMPOTENCY_IN_FLIGHT_SECONDS).
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    locked_until: Mapped[datetime]

    __table_args__ = (UniqueConstraint("owner", "key"),)


class Replay(Exception):
    """The key's first request already finished: answer with its stored response."""

    def __init__(self, status: int, body: str) -> None:
        self.status, self.body = status, body


def claim(session: Session, owner: str, key: str, fingerprint: str, ttl: timedelta,
          in_flight: timedelta = IN_FLIGHT_TIMEOUT) -> int:
    """Insert or take over ``owner``'s ``key``; its id, or raise ``DomainError`` / ``Replay``.

    Commit it in a transaction of its own, before the work it guards, so that a
    concurrent duplicate sees it.
    """
    now = utcnow()
    insert = dialect_insert(session)
    stmt = (
        insert(IdempotencyKey)
        .values(owner=owner, key=key, fingerprint=fingerprint, state=IN_FLIGHT,
                created_at=now, locked_until=now + in_flight)
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(IdempotencyKey.id)
    )
    claimed = session.execute(stmt).scalar()
    if claimed is not None:
        return claimed
    row = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
    ).scalar_one()
    if row.created_at < now - ttl:
        # Expired: the key starts a new life.
        taken = session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row.id, IdempotencyKey.created_at == row.created_at)
            .values(fingerprint=fingerprint, state=IN_FLIGHT, created_at=now,
                    response_status=None, response_body=None,
                    locked_until=now + in_flight)
        ).rowcount
        if taken:
            return row.id
        raise DomainError(IDEMPOTENCY_IN_PROGRESS)
    if row.fingerprint != fingerprint:
        raise DomainError(IDEMPOTENCY_KEY_REUSED, param="Idempotency-Key")
    if row.state == DONE:
        raise Replay(row.response_status, row.response_body)
    if row.locked_until > now:
        raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"})
    # The first attempt's worker died mid-request (nothing of it committed).
    taken = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row.id, IdempotencyKey.state == IN_FLIGHT,
               IdempotencyKey.locked_until == row.locked_until)
        .values(locked_until=now + in_flight)
    ).rowcount
    if taken:
        return row.id
    raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"})


def store(session: Session, claim_id: int, status: int, body: str) -> None:
    """Keep the response of the claimed request, to replay it for the same key."""
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id)
        .values(state=DONE, response_status=status, response_body=body)
    )


def release(session: Session, claim_id: int) -> None:
    """Forget a claim whose request failed on our side (5xx): the client may retry with it."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))


def prune_expired(session: Session, ttl: timedelta, now: datetime | None = None) -> int:
    """Delete keys past their time to live; returns how many."""
    now = now or utcnow()
    return session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - ttl)
    ).rowcount
