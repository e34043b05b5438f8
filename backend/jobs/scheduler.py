"""The scheduler process: APScheduler 3 runs every registered job on its trigger.

``borsellino scheduler`` runs ``BlockingScheduler`` in a process of its own
(never inside gunicorn workers, which would run every job once per worker).
The demo on SQLite runs the same jobs in a background thread of the demo
command's process (``start_in_background``).
"""

from __future__ import annotations

import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from backend.jobs.registry import JOBS, ROME, Job
from backend.jobs.runner import Leadership, run_job

log = logging.getLogger(__name__)


def _trigger(job: Job):
    if job.every is not None:
        return IntervalTrigger(seconds=job.every.total_seconds(), timezone=ROME)
    return CronTrigger(hour=job.daily_at.hour, minute=job.daily_at.minute, timezone=ROME)


class Tick:
    """One firing of one job: lead (or stand by), then claim the period and run."""

    def __init__(self, app: Flask, leadership: Leadership, job: Job) -> None:
        self.app, self.leadership, self.job = app, leadership, job
        self._lead_lock = threading.Lock()

    def __call__(self) -> None:
        with self.app.app_context():
            with self._lead_lock:
                leading = self.leadership.try_lead()
            if leading:
                run_job(self.app.extensions["borsellino.db"], self.job)


def build(app: Flask, scheduler: BaseScheduler, jobs: list[Job] | None = None) -> Leadership:
    leadership = Leadership(app.extensions["borsellino.db"].engine)
    for job in jobs if jobs is not None else JOBS:
        scheduler.add_job(
            Tick(app, leadership, job),
            _trigger(job),
            id=job.name,
            name=job.name,
            # One run at a time per job; a late nightly job still runs within an hour.
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    return leadership


def run_forever(app: Flask, jobs: list[Job] | None = None) -> None:
    scheduler = BlockingScheduler(timezone=ROME)
    leadership = build(app, scheduler, jobs)
    import signal

    def stop(signum, _frame):
        log.info("scheduler stopping (signal %s)", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    try:
        scheduler.start()
    finally:
        leadership.release()


def start_in_background(app: Flask, jobs: list[Job] | None = None) -> BackgroundScheduler:
    """The demo's in-process scheduler (SQLite): a daemon thread next to the server."""
    scheduler = BackgroundScheduler(timezone=ROME, daemon=True)
    build(app, scheduler, jobs)
    scheduler.start()
    return scheduler
