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
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.api import add_doc, add_error_responses
from backend.db import Base, BigId, db, dialect_insert, utcnow
from backend.errors import DomainError, ErrorCode
from backend.request_guard import checked_json

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
# A claim whose worker died is taken over after this long.
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


def _fingerprint() -> str:
    # The body the request guard parsed (bounded in depth and numbers), or the raw bytes.
    body = checked_json(request)
    raw = request.get_data(cache=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode() if body is not None else raw
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n" + canonical)
    return digest.hexdigest()


def _owner() -> str:
    from backend.auth.policy import current_principal

    principal = current_principal()
    return principal.subject if principal else "anonymous"


class _Replay(Exception):
    def __init__(self, status: int, body: str) -> None:
        self.status, self.body = status, body


def _claim(session: Session, owner: str, key: str, fingerprint: str) -> int:
    """Insert or take over the key; raise DomainError / _Replay otherwise."""
    now = utcnow()
    ttl = timedelta(hours=current_app.config["SETTINGS"].idempotency_ttl_hours)
    insert = dialect_insert(session)
    stmt = (
        insert(IdempotencyKey)
        .values(owner=owner, key=key, fingerprint=fingerprint, state=IN_FLIGHT,
                created_at=now, locked_until=now + IN_FLIGHT_TIMEOUT)
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
                    locked_until=now + IN_FLIGHT_TIMEOUT)
        ).rowcount
        if taken:
            return row.id
        raise DomainError(IDEMPOTENCY_IN_PROGRESS)
    if row.fingerprint != fingerprint:
        raise DomainError(IDEMPOTENCY_KEY_REUSED, param="Idempotency-Key")
    if row.state == DONE:
        raise _Replay(row.response_status, row.response_body)
    if row.locked_until > now:
        raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"})
    # The first attempt's worker died mid-request (nothing of it committed).
    taken = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row.id, IdempotencyKey.state == IN_FLIGHT,
               IdempotencyKey.locked_until == row.locked_until)
        .values(locked_until=now + IN_FLIGHT_TIMEOUT)
    ).rowcount
    if taken:
        return row.id
    raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"})


def idempotent(func):
    """Require and honour ``Idempotency-Key`` on a view (money moves, purchases)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if g.get("idempotency_claim") is None:  # not on a retry of the same request
            key = request.headers.get("Idempotency-Key", "").strip()
            if not key or len(key) > 255:
                raise DomainError(IDEMPOTENCY_KEY_MISSING, param="Idempotency-Key")
            owner, fingerprint = _owner(), _fingerprint()
            # End the request session's transaction (only the policy's reads so far): on
            # SQLite it holds the write lock (BEGIN IMMEDIATE) and the claim's own
            # transaction would wait for it forever. A commit, not a rollback: it ends
            # the reads the same way, and psycopg drops its prepared statements on
            # every rollback (DEALLOCATE ALL), so none would ever be prepared.
            db.session.commit()
            try:
                g.idempotency_claim = db.run_in_transaction(
                    lambda s: _claim(s, owner, key, fingerprint)
                )
            except _Replay as replay:
                response = current_app.response_class(
                    replay.body, status=replay.status, mimetype="application/json"
                )
                response.headers["Idempotent-Replayed"] = "true"
                return response
        return func(*args, **kwargs)

    wrapper._idempotent = True
    add_doc(
        wrapper,
        parameters=[{
            "in": "header",
            "name": "Idempotency-Key",
            "required": True,
            "description": "Client-generated unique key (e.g. a UUID). Retrying with the same key and "
            "body replays the first response; see the guide.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }],
    )
    add_error_responses(wrapper, 409, 422)
    return wrapper


def _store(session: Session, claim_id: int, response) -> None:
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id)
        .values(state=DONE, response_status=response.status_code,
                response_body=response.get_data(as_text=True))
    )


def record_success(session: Session, response) -> None:
    """Store the response in the request's own transaction (unit of work)."""
    claim_id = g.get("idempotency_claim")
    if claim_id is not None and not g.get("idempotency_recorded"):
        _store(session, claim_id, response)
        g.idempotency_recorded = True


def record_failure(response):
    """after_request: keep a 4xx for replay; forget the key after a 5xx."""
    claim_id = g.get("idempotency_claim")
    if claim_id is None or g.get("idempotency_recorded"):
        return response
    g.idempotency_recorded = True
    if response.status_code >= 500:
        db.run_in_transaction(
            lambda s: s.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
        )
    else:
        db.run_in_transaction(lambda s: _store(s, claim_id, response))
    return response


def prune_expired(session: Session, now: datetime | None = None) -> int:
    """Delete keys past their time to live; returns how many."""
    now = now or utcnow()
    ttl = timedelta(hours=current_app.config["SETTINGS"].idempotency_ttl_hours)
    return session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - ttl)
    ).rowcount
