"""``Idempotency-Key``: the first response is stored and replayed.

Semantics (DESIGN.md): same key + same request → the stored status and body,
with ``Idempotent-Replayed: true``; same key + different request → 422
``idempotency_key_reused``; same key while the first is still running → the
duplicate waits for it and replays its response, or 409
``idempotency_request_in_progress`` past the wait. Keys belong to the caller
(two patrons may pick the same key) and are kept ``BORSELLINO_IDEMPOTENCY_TTL_HOURS``.

The claim is the first write of the request's own transaction: one
transaction per request, and the response stored in it (``store``, called by
the unit of work), so either the business change and its stored response both
commit or neither. A concurrent duplicate's insert waits on the unique index
until the first commits, then replays its stored response; on PostgreSQL the
wait is bounded by ``lock_timeout`` (``BORSELLINO_IDEMPOTENCY_WAIT_MS``), set
transaction-locally by the claim statement itself and lifted by its RETURNING,
and answered 409 past it. SQLite serializes
writers at ``BEGIN IMMEDIATE`` already. A worker that dies mid-request leaves
no claim behind (its transaction rolls back), so there is no in-flight state to
take over. A 4xx is stored for replay: in the request's transaction when it
wrote nothing after the claim, else anew after the rollback (``store_refusal``);
a 5xx leaves no key, so the client may retry.

This module holds the rows and the rules (``claim``, ``store``,
``store_refusal``, ``prune_expired``) and needs no app; ``backend.web.idempotency``
applies them to requests (the ``@idempotent`` view decorator, the console's
one-time form keys). Its statements are built once: every money request runs them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, bindparam, delete, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.db import Base, BigId, rows_changed, utcnow
from backend.errors import DomainError, ErrorCode
from backend.hot_sql import HotStatement, connection_of

MAX_KEY_LENGTH = 255
IDEMPOTENCY_KEY_MISSING = ErrorCode(
    "idempotency_key_missing",
    400,
    it="Questa operazione richiede l'intestazione Idempotency-Key (da 1 a 255 caratteri).",
    en="This operation needs an Idempotency-Key header (1 to 255 characters).",
)
IDEMPOTENCY_KEY_TOO_LONG = ErrorCode(
    "idempotency_key_too_long",
    400,
    it="L'intestazione Idempotency-Key è troppo lunga: al massimo {max_length} caratteri.",
    en="The Idempotency-Key header is too long: at most {max_length} characters.",
)
IDEMPOTENCY_KEY_REUSED = ErrorCode(
    "idempotency_key_reused",
    422,
    it="Questa Idempotency-Key è già stata usata per una richiesta diversa.",
    en="This Idempotency-Key was already used for a different request.",
)
IDEMPOTENCY_IN_PROGRESS = ErrorCode(
    "idempotency_request_in_progress",
    409,
    it="Una richiesta con questa Idempotency-Key è ancora in corso: riprova tra poco.",
    en="A request with this Idempotency-Key is still in progress: retry shortly.",
)

# A committed key is always done: a claim lives only inside its request's transaction.
DONE = "done"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired


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

    __table_args__ = (UniqueConstraint("owner", "key"),)


class Replay(Exception):
    """The key's first request already finished: answer with its stored response."""

    def __init__(self, status: int, body: str) -> None:
        self.status, self.body = status, body


_keys = IdempotencyKey.__table__


# PostgreSQL: the claim with its own bound on the wait, in one round trip instead of
# three (SET LOCAL, INSERT, SET LOCAL back). ``bound`` sets lock_timeout before the
# insert can wait on a concurrent duplicate's uncommitted row, and RETURNING puts the
# previous value back once the row is in, so the request's own lock waits (a busy
# wallet, a sell-out's seat row) stay unbounded. No row returned (the key exists):
# ``claim`` resets it with a statement of its own.
_BOUNDED_CLAIM = (
    text(
        "WITH bound AS (SELECT current_setting('lock_timeout') AS before,"
        " set_config('lock_timeout', :wait, true) AS now)"
        " INSERT INTO idempotency_keys (owner, key, fingerprint, state, created_at)"
        " SELECT :owner, :key, :fingerprint, :state, :now FROM bound"
        " ON CONFLICT (owner, key) DO NOTHING"
        " RETURNING id, set_config('lock_timeout', (SELECT before FROM bound), true) AS lifted"
    )
    .bindparams(bindparam("now", type_=IdempotencyKey.__table__.c.created_at.type), bindparam("state", DONE))
    .columns(id=Integer, lifted=Text)
)
_HOT_BOUNDED_CLAIM = HotStatement(_BOUNDED_CLAIM)
_HOT_STORE = HotStatement(
    update(_keys)
    .where(_keys.c.id == bindparam("claim_id"))
    .values(state=DONE, response_status=bindparam("status"), response_body=bindparam("body"))
)


@cache
def _statements(dialect_name: str) -> dict[str, Any]:
    """Built once per dialect (``on_conflict_do_nothing`` is dialect-specific)."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert
    row = dict(
        owner=bindparam("owner"),
        key=bindparam("key"),
        fingerprint=bindparam("fingerprint"),
        state=DONE,
        created_at=bindparam("now"),
    )
    return {
        "claim": insert(_keys)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(_keys.c.id),
        "existing": select(
            _keys.c.id, _keys.c.fingerprint, _keys.c.response_status, _keys.c.response_body, _keys.c.created_at
        ).where(_keys.c.owner == bindparam("owner"), _keys.c.key == bindparam("key")),
        "renew": update(_keys)
        .where(_keys.c.id == bindparam("claim_id"), _keys.c.created_at == bindparam("created_at"))
        .values(
            fingerprint=bindparam("fingerprint"), created_at=bindparam("now"), response_status=None, response_body=None
        ),
        "store_refusal": insert(_keys)
        .values(**row, response_status=bindparam("status"), response_body=bindparam("body"))
        .on_conflict_do_nothing(index_elements=["owner", "key"]),
    }


def claim(session: Session, owner: str, key: str, fingerprint: str, ttl: timedelta, *, wait_ms: int) -> int:
    """Claim ``owner``'s ``key`` in the session's transaction; its id, or raise ``DomainError`` / ``Replay``.

    The claimed row commits with the work it guards (and its stored response).
    A concurrent duplicate's insert waits for that commit on the unique index,
    then finds the stored response; on PostgreSQL it waits at most ``wait_ms``.
    """
    connection = connection_of(session)
    statements = _statements(connection.dialect.name)
    now = utcnow()
    bounded = connection.dialect.name == "postgresql"
    params = {"owner": owner, "key": key, "fingerprint": fingerprint, "now": now}
    try:
        claimed: int | None
        if bounded:
            row = _HOT_BOUNDED_CLAIM.first(session, {**params, "wait": str(int(wait_ms))})
            claimed = row[0] if row is not None else None
        else:
            claimed = connection.execute(statements["claim"], params).scalar()
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            session.rollback()
            raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"}) from None
        raise
    if claimed is not None:
        return int(claimed)
    if bounded:  # no row returned, so the bound was not lifted by the claim itself
        connection.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")
    row = connection.execute(statements["existing"], {"owner": owner, "key": key}).one()
    if row.created_at < now - ttl:
        # Expired (not yet pruned): the key starts a new life.
        if connection.execute(
            statements["renew"], {**params, "claim_id": row.id, "created_at": row.created_at}
        ).rowcount:
            return int(row.id)
        raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"})
    if row.fingerprint != fingerprint:
        raise DomainError(IDEMPOTENCY_KEY_REUSED, param="Idempotency-Key")
    raise Replay(row.response_status, row.response_body)


def store(session: Session, claim_id: int, status: int, body: str) -> None:
    """Keep the response of the claimed request, in its transaction, to replay it for the same key."""
    _HOT_STORE.rowcount(session, {"claim_id": claim_id, "status": status, "body": body})


def store_refusal(session: Session, owner: str, key: str, fingerprint: str, status: int, body: str) -> None:
    """Keep a refusal whose request rolled back (claim included), in a transaction of its own."""
    connection = connection_of(session)
    connection.execute(
        _statements(connection.dialect.name)["store_refusal"],
        {"owner": owner, "key": key, "fingerprint": fingerprint, "now": utcnow(), "status": status, "body": body},
    )


def prune_expired(session: Session, ttl: timedelta, now: datetime | None = None) -> int:
    """Delete keys past their time to live; returns how many."""
    now = now or utcnow()
    return rows_changed(session, delete(IdempotencyKey).where(IdempotencyKey.created_at < now - ttl))
