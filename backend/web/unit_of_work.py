"""One transaction per request, committed once after the view returned.

A view runs inside ``run_view``: on success the request's session commits
(with the idempotent response, if any). A refusal (4xx) rolls back what the
request wrote; when it wrote nothing (after its idempotency claim, if any),
the transaction ends with a COMMIT instead, the same for the database and
cheaper for the next requests: psycopg drops every prepared statement on a
rollback. Any other exception rolls back; on a PostgreSQL serialization
failure, deadlock or dead connection (or SQLite busy) the whole view is run
again on a fresh session, so services stay free of retry logic.
"""

from __future__ import annotations

from flask import Flask, g
from werkzeug.exceptions import HTTPException

from backend.db import Database, backoff, is_retryable
from backend.errors import DomainError
from backend.web.database import db
from backend.web.idempotency import record_success


def run_view(app: Flask, view):
    for attempt in range(Database.max_attempts):
        g.pop("idempotency_claim", None)
        committing = False
        try:
            response = app.make_response(view())
            session = db.session
            if response.status_code < 400:
                record_success(session, response)
                committing = True
                session.commit()
            else:
                _end_refused()
            return response
        except (DomainError, HTTPException) as refusal:
            status = refusal.error.status if isinstance(refusal, DomainError) else (refusal.code or 500)
            if status < 500:
                _end_refused()
            else:
                db.session.rollback()
            raise
        except Exception as exc:
            db.session.rollback()
            if not is_retryable(exc, committing=committing) or attempt == Database.max_attempts - 1:
                raise
            db.discard_session()
            backoff(attempt)
    raise AssertionError("unreachable")


def _end_refused() -> None:
    """End a refused request's transaction: roll back its writes, or commit when there are none.

    An idempotent request's refusal is then stored for replay (``record_failure``):
    in this same transaction when it is still open, else in a new one.
    """
    session = db.session
    if not session.in_transaction():
        return
    if Database.wrote_since_mark(session):
        session.rollback()
    elif g.get("idempotency_claim") is not None:
        g.idempotency_commit_refusal = True  # stored and committed once the response is rendered
    else:
        session.commit()


class BorsellinoFlask(Flask):
    def dispatch_request(self):
        return run_view(self, super().dispatch_request)
