"""One transaction per request, committed once after the view returned.

A view runs inside ``run_view``: on success the request's session commits
(with the idempotent response, if any); what the view left to ``write_last``
runs after the response is stored, just before that commit. A refusal (4xx) rolls back what the
request wrote; when it wrote nothing (after its idempotency claim, if any),
the transaction ends with a COMMIT instead, the same for the database and
cheaper for the next requests: psycopg drops every prepared statement on a
rollback. Any other exception rolls back; on a PostgreSQL serialization
failure, deadlock or dead connection (or SQLite busy) the whole view is run
again on a fresh session, so services stay free of retry logic.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask, g
from werkzeug.exceptions import HTTPException

from backend.db import Database, backoff, is_retryable
from backend.errors import DomainError
from backend.web.database import db
from backend.web.idempotency import record_success


def write_last(work: Callable[[], object]) -> None:
    """Run ``work`` after the view's response is rendered and stored, just before the COMMIT.

    For the statement that locks a row every request of a rush updates (a sell-out's
    seats): that lock is then held for the statement and the commit only, not while
    the response is serialized and stored. ``work`` may refuse (raise ``DomainError``):
    the request rolls back, stored response included, and answers the refusal.
    """
    g.setdefault("last_writes", []).append(work)


def run_view(app: Flask, view):
    for attempt in range(Database.max_attempts):
        # A retried attempt's transaction began anew: nothing of the last one is claimed or stored.
        for name in ("idempotency_claim", "idempotency_recorded", "last_writes"):
            g.pop(name, None)
        committing = False
        try:
            response = app.make_response(view())
            session = db.session
            last_writes = g.pop("last_writes", ())
            if response.status_code < 400:
                record_success(session, response)
                for work in last_writes:
                    work()
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
        g.pop("idempotency_recorded", None)  # a stored response went with the rollback
    elif g.get("idempotency_claim") is not None:
        g.idempotency_commit_refusal = True  # stored and committed once the response is rendered
    else:
        session.commit()


class BorsellinoFlask(Flask):
    def dispatch_request(self):
        return run_view(self, super().dispatch_request)

    def ensure_sync(self, func):
        # Flask asks ``inspect.iscoroutinefunction`` of every hook and view on every
        # request (about twenty a request); the answer never changes for a function.
        # Keyed by the function under a bound method (views are bound to a new
        # instance per request), and bounded, should closures be made per request.
        target = getattr(func, "__func__", func)
        known = self._coroutine_functions
        try:
            is_coroutine = known[target]
        except KeyError:
            is_coroutine = iscoroutinefunction(func)
            if len(known) < 4096:
                known[target] = is_coroutine
        except TypeError:  # unhashable: ask each time
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_coroutine else func

    @cached_property
    def _coroutine_functions(self) -> dict[Any, bool]:
        return {}
