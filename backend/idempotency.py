"""``Idempotency-Key``: the first response is stored and replayed.

Semantics (DESIGN.md): same key + same request → the stored status and body,
with ``Idempotent-Replayed: true``; same key + different request → 422
``idempotency_key_reused``; same key while the first is still running → 409
``idempotency_request_in_progress``. Keys belong to the caller (two patrons
may pick the same key) and are kept ``BORSELLINO_IDEMPOTENCY_TTL_HOURS``.

The claim is the first write of the request's own transaction: one
transaction per request, and the response stored in it (``record_success``,
called by the unit of work), so either the business change and its stored
response both commit or neither. A concurrent duplicate's insert waits on the
unique index until the first commits, then replays its stored response; on
PostgreSQL the wait is bounded by ``SET LOCAL lock_timeout``
(``BORSELLINO_IDEMPOTENCY_WAIT_MS``) and answered 409 past it. SQLite
serializes writers at ``BEGIN IMMEDIATE`` already. A worker that dies
mid-request leaves no claim behind (its transaction rolls back), so there is
no in-flight state to take over. A 4xx is stored for replay: in the request's
transaction when it wrote nothing after the claim, else after the rollback; a
5xx leaves no key, so the client may retry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import cache, wraps

from flask import current_app, g, request
from sqlalchemy import Integer, String, Text, UniqueConstraint, bindparam, delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.api import add_doc, add_error_responses
from backend.db import Base, BigId, db, dialect_insert, utcnow
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

# A committed key is always DONE: a claim lives only inside its request's transaction.
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


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n" + canonical)
    return digest.hexdigest()


def _owner() -> str:
    from backend.auth.policy import current_principal

    principal = current_principal()
    return principal.subject if principal else "anonymous"


class Replay(Exception):
    """The key's first request already finished: answer with its stored response."""

    def __init__(self, status: int, body: str) -> None:
        self.status, self.body = status, body


_keys = IdempotencyKey.__table__


@cache
def _statements(dialect_name: str):
    """Built once per dialect: every money request runs the claim and the store."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert
    claim = (
        insert(_keys)
        .values(owner=bindparam("owner"), key=bindparam("key"), fingerprint=bindparam("fingerprint"),
                state=DONE, created_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(_keys.c.id)
    )
    existing = select(_keys.c.id, _keys.c.fingerprint, _keys.c.response_status, _keys.c.response_body,
                      _keys.c.created_at).where(_keys.c.owner == bindparam("owner"), _keys.c.key == bindparam("key"))
    renew = (
        update(_keys).where(_keys.c.id == bindparam("claim_id"), _keys.c.created_at == bindparam("created_at"))
        .values(fingerprint=bindparam("fingerprint"), created_at=bindparam("now"),
                response_status=None, response_body=None)
    )
    store = update(_keys).where(_keys.c.id == bindparam("claim_id")).values(
        state=DONE, response_status=bindparam("status"), response_body=bindparam("body"))
    stored_refusal = (
        insert(_keys)
        .values(owner=bindparam("owner"), key=bindparam("key"), fingerprint=bindparam("fingerprint"),
                state=DONE, created_at=bindparam("now"), response_status=bindparam("status"),
                response_body=bindparam("body"))
        .on_conflict_do_nothing(index_elements=["owner", "key"])
    )
    return claim, existing, renew, store, stored_refusal


def claim_key(session: Session, owner: str, key: str, fingerprint: str, ttl: timedelta, *,
              wait_ms: int) -> int:
    """Claim ``owner``'s ``key`` in the session's transaction; its id, or raise ``DomainError`` / ``Replay``.

    The claimed row commits with the work it guards (and its stored response).
    A concurrent duplicate's insert waits for that commit on the unique index,
    then finds the stored response; on PostgreSQL it waits at most ``wait_ms``.
    """
    connection = session.connection()
    claim, existing, renew, _store, _refusal = _statements(connection.dialect.name)
    now = utcnow()
    bounded = connection.dialect.name == "postgresql"
    params = {"owner": owner, "key": key, "fingerprint": fingerprint, "now": now}
    try:
        if bounded:  # only the claim's wait: the request's own lock waits (a busy wallet) stay unbounded
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")
        claimed = connection.execute(claim, params).scalar()
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            session.rollback()
            raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"}) from None
        raise
    if bounded:
        connection.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")
    if claimed is not None:
        return claimed
    row = connection.execute(existing, {"owner": owner, "key": key}).one()
    if row.created_at < now - ttl:
        # Expired (not yet pruned): the key starts a new life.
        if connection.execute(renew, {**params, "claim_id": row.id, "created_at": row.created_at}).rowcount:
            return row.id
        raise DomainError(IDEMPOTENCY_IN_PROGRESS, headers={"Retry-After": "1"})
    if row.fingerprint != fingerprint:
        raise DomainError(IDEMPOTENCY_KEY_REUSED, param="Idempotency-Key")
    raise Replay(row.response_status, row.response_body)


def _settings():
    return current_app.config["SETTINGS"]


def claim(key: str, *, param: str = "Idempotency-Key") -> Replay | None:
    """Claim ``key`` for this request (its caller, method, path and body), in the request's transaction.

    None when the request may go on; the stored ``Replay`` when the key's first
    request already finished. Raises ``DomainError`` for a missing or overlong
    key (``param`` names where it was expected), a key reused for a different
    request, or one still in progress.
    """
    key = key.strip()
    if not key or len(key) > 255:
        raise DomainError(IDEMPOTENCY_KEY_MISSING, param=param)
    settings = _settings()
    owner, fingerprint = _owner(), _fingerprint()
    session = db.session
    try:
        claim_id = claim_key(session, owner, key, fingerprint, timedelta(hours=settings.idempotency_ttl_hours),
                             wait_ms=settings.idempotency_wait_ms)
    except Replay as replay:
        return replay
    g.idempotency_claim = (claim_id, owner, key, fingerprint)
    db.mark_clean(session)  # what the request writes from here on decides commit or rollback of a 4xx
    return None


def idempotent(func):
    """Require and honour ``Idempotency-Key`` on a view (money moves, purchases)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        # Every attempt claims again: a retried attempt's transaction began anew.
        replay = claim(request.headers.get("Idempotency-Key", ""))
        if replay is not None:
            response = current_app.response_class(replay.body, status=replay.status, mimetype="application/json")
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


def record_success(session: Session, response) -> None:
    """Store the response in the request's own transaction (unit of work)."""
    claimed = g.get("idempotency_claim")
    if claimed is not None and not g.get("idempotency_recorded"):
        _store(session, claimed[0], response)
        g.idempotency_recorded = True


def _store(session: Session, claim_id: int, response) -> None:
    connection = session.connection()
    store = _statements(connection.dialect.name)[3]
    connection.execute(store, {"claim_id": claim_id, "status": response.status_code,
                               "body": response.get_data(as_text=True)})


def record_failure(response):
    """after_request: keep a 4xx for replay (a 5xx leaves no key: the client may retry).

    The unit of work left the transaction open when the refused request wrote
    nothing after its claim: the refusal is stored and committed in it. Otherwise
    the transaction was rolled back, claim included, and the refusal is stored anew.
    """
    claimed = g.get("idempotency_claim")
    if claimed is None or g.get("idempotency_recorded"):
        return response
    g.idempotency_recorded = True
    if response.status_code >= 500:
        return response
    if g.pop("idempotency_commit_refusal", False):
        session = db.session
        _store(session, claimed[0], response)
        session.commit()
        return response
    _claim_id, owner, key, fingerprint = claimed

    def store_refusal(session: Session) -> None:
        connection = session.connection()
        connection.execute(_statements(connection.dialect.name)[4], {
            "owner": owner, "key": key, "fingerprint": fingerprint, "now": utcnow(),
            "status": response.status_code, "body": response.get_data(as_text=True)})

    db.run_in_transaction(store_refusal)
    return response


def prune_expired(session: Session, now: datetime | None = None) -> int:
    """Delete keys past their time to live; returns how many."""
    now = now or utcnow()
    ttl = timedelta(hours=current_app.config["SETTINGS"].idempotency_ttl_hours)
    return session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - ttl)
    ).rowcount
