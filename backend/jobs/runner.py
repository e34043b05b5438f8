"""Run a job at most once per period, whoever asks: leadership plus claim rows.

Two layers make "once per period" hold with any number of scheduler processes:

1. **Leadership** (PostgreSQL): only the process holding a session-level advisory
   lock runs jobs; the others stand by and take over when its connection dies.
2. **Claim rows**: before running, the runner inserts ``(job, period)`` into
   ``job_runs``; the unique constraint lets exactly one insert win, so even two
   leaders during a handover, or a manual ``scheduler run``, cannot run a period twice.

A job that fails keeps its claim (status ``failed`` with the error): it runs
again next period, never twice in one.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from sqlalchemy import text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from backend.db import Database, utcnow
from backend.jobs.models import DONE, FAILED, RUNNING, JobRun
from backend.jobs.registry import Job

log = logging.getLogger(__name__)

RAN, SKIPPED, FAILED_RUN = "ran", "skipped", "failed"
# Arbitrary constant naming "the Borsellino scheduler" among advisory locks.
LEADER_LOCK_KEY = 0x426F7273  # "Bors"


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(session: Session, job: Job, period: str, runner: str) -> int | None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return session.execute(
        insert(JobRun)
        .values(job=job.name, period=period, status=RUNNING, runner=runner, started_at=utcnow())
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(JobRun.id)
    ).scalar()


def run_job(database: Database, job: Job, *, now: datetime | None = None, runner: str | None = None) -> str:
    """Claim ``job``'s current period and run it (call inside the app context)."""
    period = job.period(now or utcnow())
    runner = runner or runner_id()
    run_id = database.run_in_transaction(lambda s: claim(s, job, period, runner))
    if run_id is None:
        return SKIPPED
    status, error = DONE, None
    try:
        job.function()()
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the scheduler
        log.exception("job %s failed for period %s", job.name, period)
        status, error = FAILED, f"{type(exc).__name__}: {exc}"[:500]
    database.run_in_transaction(
        lambda s: s.execute(
            update(JobRun).where(JobRun.id == run_id).values(status=status, error=error, finished_at=utcnow())
        )
    )
    return RAN if status == DONE else FAILED_RUN


class Leadership:
    """Who among the scheduler processes runs jobs (PostgreSQL advisory lock).

    On SQLite (the single-machine demo) every process may lead: the claim rows
    alone keep periods single.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._conn: Connection | None = None

    def try_lead(self) -> bool:
        if not self.is_postgres:
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - connection lost: the lock went with it
                log.warning("scheduler lost its database connection; leadership released")
                self.release()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar()
        if got:
            self._conn = conn
            log.info("this scheduler process (%s) is now the leader", runner_id())
            return True
        conn.close()
        return False

    @property
    def is_leader(self) -> bool:
        return self._conn is not None or not self.is_postgres

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # closing the session releases the advisory lock
            except Exception:  # noqa: BLE001
                pass
            self._conn = None
