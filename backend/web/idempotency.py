"""``Idempotency-Key`` on requests: the ``@idempotent`` view decorator and ``claim``.

The rules and the rows live in ``backend.idempotency``; here the key, its owner
(the caller) and the request's fingerprint (method, path, canonical body) are
taken from the request, the claim is made in the request's own transaction
(``db.session``), and remembered on ``g`` so that the unit of work stores the
response in that same transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from sqlalchemy.orm import Session

from backend.errors import DomainError
from backend.idempotency import (
    IDEMPOTENCY_KEY_MISSING,
    IDEMPOTENCY_KEY_TOO_LONG,
    MAX_KEY_LENGTH,
    Replay,
    store,
    store_refusal,
)
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


def claim(key: str, *, param: str = "Idempotency-Key") -> Replay | None:
    """Claim ``key`` for this request (its caller, method, path and body), in the request's transaction.

    None when the request may go on; the stored ``Replay`` when the key's first
    request already finished. Raises ``DomainError`` for a missing or overlong
    key (``param`` names where it was expected), a key reused for a different
    request, or one still in progress past the wait.
    """
    key = key.strip()
    if not key:
        raise DomainError(IDEMPOTENCY_KEY_MISSING, param=param)
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(IDEMPOTENCY_KEY_TOO_LONG, param=param, max_length=MAX_KEY_LENGTH)
    owner, fingerprint = _owner(), _fingerprint()
    session = db.session
    try:
        claim_id = claim_key(
            session, owner, key, fingerprint, ttl(), wait_ms=current_app.config["SETTINGS"].idempotency_wait_ms
        )
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
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": True,
                "description": "Client-generated unique key (e.g. a UUID). Retrying with the same key and "
                "body replays the first response; see the guide.",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            }
        ],
    )
    add_error_responses(wrapper, 409, 422)
    return wrapper


def record_success(session: Session, response) -> None:
    """Store the response in the request's own transaction (unit of work)."""
    claimed = g.get("idempotency_claim")
    if claimed is not None and not g.get("idempotency_recorded"):
        store(session, claimed[0], response.status_code, response.get_data(as_text=True))
        g.idempotency_recorded = True


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
    status, body = response.status_code, response.get_data(as_text=True)
    if g.pop("idempotency_commit_refusal", False):
        session = db.session
        store(session, claimed[0], status, body)
        session.commit()
        return response
    _claim_id, owner, key, fingerprint = claimed
    db.run_in_transaction(lambda s: store_refusal(s, owner, key, fingerprint, status, body))
    return response
