"""The app's ``Database`` and the request-bound session: ``db.session`` in views.

``db`` stands for the current app's ``backend.db.Database``; its ``session``
is the current request's (or app context's) session, created on first use:
DEFERRED on SQLite for reads (GET, HEAD, OPTIONS), IMMEDIATE for writes. The
unit of work (``backend.web.unit_of_work``) commits it once per request.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from backend.db import Database

EXTENSION = "borsellino.db"


def current_database() -> Database:
    return current_app.extensions[EXTENSION]


class _RequestDatabase:
    """``db``: the current app's ``Database`` plus the request's session."""

    @property
    def session(self) -> Session:
        session = g.get("_db_session")
        if session is None:
            readonly = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
            session = g._db_session = current_database().new_session(immediate=not readonly)
        return session

    def discard_session(self) -> None:
        session = g.pop("_db_session", None)
        if session is not None:
            session.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(current_database(), name)


# ``db.session`` inside a request; ``db.run_in_transaction(...)`` in commands.
db = _RequestDatabase()
