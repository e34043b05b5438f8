"""Work a fresh worker process does once, before its first request instead of during it.

gunicorn calls ``warm_up`` after a worker has loaded the app (``post_worker_init`` in
``backend/gunicorn_conf.py``). Measured in-process on a fresh app: the first ticket
purchase cost ~410 ms of CPU against ~10 ms warm, most of it SQLAlchemy configuring
every mapper on the first ORM query (~350 ms), then the first connection (the
dialect's server checks) and Flask's first request. In a sell-out that starts on
fresh workers (after a deploy, or a worker recycled by ``max_requests``) every
worker paid it during the rush's first seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session, configure_mappers

from backend.auth.tokens import InvalidToken
from backend.errors import DomainError


def warm_up(app: Flask) -> None:
    configure_mappers()
    engine = app.extensions["borsellino.db"].engine
    with engine.connect() as connection:  # the pool keeps it for the first request
        connection.exec_driver_sql("SELECT 1")
    # Routing, the request guard, the hooks and the JSON response, once.
    app.test_client().get("/healthz")
    # The hot reads, each compiled (and its ORM loading planned) once, with ids that name nothing.
    database = app.extensions["borsellino.db"]
    session = database.new_session(immediate=False)
    try:
        for read in _HOT_READS:
            try:
                read(session)
            except (DomainError, InvalidToken):
                pass
    finally:
        session.rollback()
        session.close()


def _sellable_occurrence(session: Session) -> None:
    from backend.events.purchase import sellable_occurrence

    sellable_occurrence(session, "")


def _session_alive(session: Session) -> None:
    from backend.accounts.sessions import check_session_alive

    check_session_alive(session, {"sid": ""})


_HOT_READS: tuple[Callable[[Session], object], ...] = (_sellable_occurrence, _session_alive)
