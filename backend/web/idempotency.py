"""``Idempotency-Key`` on requests: the ``@idempotent`` view decorator and ``claim``.

The rules and the rows live in ``backend.idempotency``; here the key, its owner
(the caller) and the request's fingerprint (method, path, canonical body) are
taken from the request, and the claim is remembered on ``g`` so that the unit
of work stores the response in the request's own transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from sqlalchemy.orm import Session

from backend.errors import DomainError
from backend.idempotency import IDEMPOTENCY_KEY_MISSING, Replay, release, store
from backend.idempotency import claim as claim_key
from backend.web.api import add_doc, add_error_responses
from backend.web.database import db
from backend.web.policy import current_principal
from backend.web.request_guard import checked_json


def _fingerprint() -> str:
    # The body the request guard parsed (bounded in depth and numbers), or the raw bytes.
    body = checked_json(request)
    raw = request.get_data(cache=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode() if body is not None else raw
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n" + canonical)
    return digest.hexdigest()


def _owner() -> str:
    principal = current_principal()
    return principal.subject if principal else "anonymous"


def ttl() -> timedelta:
    return timedelta(hours=current_app.config["SETTINGS"].idempotency_ttl_hours)


def in_flight() -> timedelta:
    """How long a claim whose worker died blocks retries (keep it above the worker timeout)."""
    return timedelta(seconds=current_app.config["SETTINGS"].idempotency_in_flight_seconds)


def claim(key: str, *, param: str = "Idempotency-Key") -> Replay | None:
    """Claim ``key`` for this request (its caller, method, path and body).

    None when the request may go on; the stored ``Replay`` when the key's first
    request already finished. Raises ``DomainError`` for a missing or overlong
    key (``param`` names where it was expected), a key reused for a different
    request, or one still in progress.
    """
    key = key.strip()
    if not key or len(key) > 255:
        raise DomainError(IDEMPOTENCY_KEY_MISSING, param=param)
    owner, fingerprint, lifetime = _owner(), _fingerprint(), ttl()
    # End the request session's transaction (only the policy's reads so far): on
    # SQLite it holds the write lock (BEGIN IMMEDIATE) and the claim's own
    # transaction would wait for it forever. A commit, not a rollback: it ends
    # the reads the same way, and psycopg drops its prepared statements on
    # every rollback (DEALLOCATE ALL), so none would ever be prepared.
    db.session.commit()
    try:
        g.idempotency_claim = db.run_in_transaction(lambda s: claim_key(s, owner, key, fingerprint, lifetime,
                                                                         in_flight()))
    except Replay as replay:
        return replay
    return None


def idempotent(func):
    """Require and honour ``Idempotency-Key`` on a view (money moves, purchases)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if g.get("idempotency_claim") is None:  # not on a retry of the same request
            replay = claim(request.headers.get("Idempotency-Key", ""))
            if replay is not None:
                response = current_app.response_class(replay.body, status=replay.status,
                                                      mimetype="application/json")
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
    claim_id = g.get("idempotency_claim")
    if claim_id is not None and not g.get("idempotency_recorded"):
        store(session, claim_id, response.status_code, response.get_data(as_text=True))
        g.idempotency_recorded = True


def record_failure(response):
    """after_request: keep a 4xx for replay; forget the key after a 5xx."""
    claim_id = g.get("idempotency_claim")
    if claim_id is None or g.get("idempotency_recorded"):
        return response
    g.idempotency_recorded = True
    if response.status_code >= 500:
        db.run_in_transaction(lambda s: release(s, claim_id))
    else:
        db.run_in_transaction(lambda s: store(s, claim_id, response.status_code, response.get_data(as_text=True)))
    return response
