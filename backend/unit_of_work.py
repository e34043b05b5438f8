"""One transaction per request, committed once after the view returned.

A view runs inside ``run_view``: on success the request's session commits
(with the idempotent response, if any); on any exception it rolls back; on a
PostgreSQL serialization failure or deadlock (or SQLite busy) the whole view
is run again on a fresh session, so services stay free of retry logic.
"""

from __future__ import annotations

from flask import Flask

from backend import idempotency
from backend.db import backoff, db, is_retryable


def run_view(app: Flask, view):
    database = db._get_current_object()
    for attempt in range(database.max_attempts):
        try:
            response = app.make_response(view())
            session = database.session
            if response.status_code < 400:
                idempotency.record_success(session, response)
                session.commit()
            else:
                session.rollback()
            return response
        except Exception as exc:
            database.session.rollback()
            if not is_retryable(exc) or attempt == database.max_attempts - 1:
                raise
            database.discard_session()
            backoff(attempt)
    raise AssertionError("unreachable")


class BorsellinoFlask(Flask):
    def dispatch_request(self):
        return run_view(self, super().dispatch_request)
