"""Jobs run once per period, whatever the number of scheduler processes and ticks."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.jobs.models import JobRun
from backend.jobs.registry import JOBS, Job
from backend.jobs.runner import FAILED_RUN, RAN, SKIPPED, run_job
from backend.notify.models import Notification
from backend.notify.services import notify
from tests.support.factories import make_network, make_patron

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


def test_periods_of_interval_and_nightly_jobs():
    every5 = Job("x", print, every=timedelta(seconds=5))
    assert every5.period(T0 + timedelta(seconds=4)) == "2026-11-22T10:00:00Z"
    assert every5.period(T0 + timedelta(seconds=5)) == "2026-11-22T10:00:05Z"
    nightly = Job("y", print, daily_at=clock(2, 0))
    # 00:30 UTC is 01:30 in Rome: still the previous night's period.
    assert nightly.period(datetime(2026, 11, 22, 0, 30, tzinfo=UTC)) == "2026-11-21"
    assert nightly.period(datetime(2026, 11, 22, 1, 5, tzinfo=UTC)) == "2026-11-22"
    with pytest.raises(ValueError):
        Job("z", print)


def test_a_job_runs_once_per_period_however_often_it_is_asked(app_ctx, database):
    runs = []
    job = Job("counting", lambda: runs.append(1), every=timedelta(minutes=1))
    assert run_job(database, job, now=T0) == RAN
    assert run_job(database, job, now=T0 + timedelta(seconds=30)) == SKIPPED
    assert run_job(database, job, now=T0 + timedelta(seconds=59), runner="other-host:1") == SKIPPED
    assert run_job(database, job, now=T0 + timedelta(minutes=1)) == RAN
    assert len(runs) == 2


def test_a_failing_job_is_recorded_and_not_retried_in_the_same_period(app_ctx, database, db):
    def broken():
        raise RuntimeError("provider unreachable")

    job = Job("broken", broken, every=timedelta(minutes=1))
    assert run_job(database, job, now=T0) == FAILED_RUN
    assert run_job(database, job, now=T0 + timedelta(seconds=1)) == SKIPPED
    row = db.scalar(select(JobRun).where(JobRun.job == "broken"))
    assert (row.status, row.error) == ("failed", "RuntimeError: provider unreachable")


def test_reminders_are_sent_once_not_on_every_tick(app_ctx, database, db):
    network = make_network(db)
    patron = make_patron(db, network)
    db.commit()
    starts = T0 + timedelta(hours=20)

    def remind_tomorrows_events():
        # As the events domain will: every ticket of an occurrence starting within 24 h,
        # with a dedupe key per (occurrence, patron).
        def work(session):
            person = session.get(type(patron), patron.id)
            notify(
                session,
                person,
                "event_reminder",
                event_title="Caffè letterario",
                starts_at=starts,
                venue="Biblioteca di Rho",
                dedupe_key=f"reminder:occ_1:{person.public_id}",
            )

        database.run_in_transaction(work)

    job = Job("event_reminders", remind_tomorrows_events, every=timedelta(minutes=10))
    outcomes = [run_job(database, job, now=T0 + timedelta(minutes=10 * i)) for i in range(6)]
    assert outcomes == [RAN] * 6
    assert db.scalar(select(func.count()).select_from(Notification)) == 1


def test_registry_names_are_unique_and_every_registered_job_runs(app_ctx, database, db):
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))
    # Run each one for real (on an empty database): a job naming a function that does
    # not exist, or wrapping a target that cannot run, is a failed run here.
    failed = [job.name for job in JOBS if run_job(database, job, now=T0) != RAN]
    assert failed == [], db.execute(select(JobRun.job, JobRun.error).where(JobRun.status == "failed")).all()


def test_a_job_naming_a_missing_function_fails_its_run(app_ctx, database, db):
    from backend.jobs.registry import in_transaction

    typo = Job("typo", in_transaction("backend.events.jobs:no_such_function"), every=timedelta(minutes=1))
    assert run_job(database, typo, now=T0) == FAILED_RUN
    assert "AttributeError" in db.scalar(select(JobRun.error).where(JobRun.job == "typo"))


def test_prune_jobs_remove_only_expired_rows(app_ctx, database, db):
    from backend.idempotency import IdempotencyKey
    from backend.jobs.registry import job_named

    now = datetime.now(UTC)
    db.add_all(
        [
            IdempotencyKey(owner="pat_a", key="old", fingerprint="f", state="done", created_at=now - timedelta(days=5)),
            IdempotencyKey(owner="pat_a", key="new", fingerprint="f", state="done", created_at=now),
        ]
    )
    db.commit()
    assert run_job(database, job_named("prune_idempotency_keys")) == RAN
    assert db.scalars(select(IdempotencyKey.key)).all() == ["new"]


def _start_scheduler(database_url: str, run_log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BORSELLINO_TEST_RUN_LOG": str(run_log),
        "BORSELLINO_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from backend.cli import main; main()",
            "scheduler",
            "--jobs",
            "tests.notify.sched_jobs:JOBS",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_two_scheduler_processes_run_each_period_once(database_url, db, tmp_path):
    run_log = tmp_path / "runs.log"
    run_log.touch()
    first, second = _start_scheduler(database_url, run_log), _start_scheduler(database_url, run_log)
    try:
        # Generous: on a loaded machine two interpreters importing the app take long to start;
        # the loop ends as soon as six runs are logged.
        deadline = time.monotonic() + 180
        while len(run_log.read_text().split()) < 6 and time.monotonic() < deadline:
            time.sleep(0.2)  # waiting for the processes' own clocks, not hiding a race
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
        for proc in (first, second):
            proc.wait(timeout=20)
    runs = run_log.read_text().split()
    assert len(runs) >= 6, (first.stderr.read() + second.stderr.read()).decode()[-2000:]
    claims = db.execute(
        select(JobRun.period, JobRun.runner, JobRun.status).where(JobRun.job == "test_every_second")
    ).all()
    # Every execution had its own period, and no period was executed twice.
    assert len(runs) == len(claims) == len({period for period, _, _ in claims})
    if database_url.startswith("postgresql"):
        # One leader did all the work; the other stood by.
        assert len(set(runs)) == 1
        assert len({runner for _, runner, _ in claims}) == 1
