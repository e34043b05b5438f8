"""One transaction per request, committed once after the view returned.

A view runs inside ``run_view``: on success the request's session commits
(with the idempotent response, if any); on any exception it rolls back; on a
PostgreSQL serialization failure or deadlock (or SQLite busy) the whole view
is run again on a fresh session, so services stay free of retry logic.
"""

from __future__ import annotations

from flask import Flask

from backend.db import Database, backoff, is_retryable
from backend.web.database import db
from backend.web.idempotency import record_success


def run_view(app: Flask, view):
    for attempt in range(Database.max_attempts):
        try:
            response = app.make_response(view())
            session = db.session
            if response.status_code < 400:
                record_success(session, response)
                session.commit()
            else:
                session.rollback()
            return response
        except Exception as exc:
            db.session.rollback()
            if not is_retryable(exc) or attempt == Database.max_attempts - 1:
                raise
            db.discard_session()
            backoff(attempt)
    raise AssertionError("unreachable")


class BorsellinoFlask(Flask):
    def dispatch_request(self):
        return run_view(self, super().dispatch_request)
