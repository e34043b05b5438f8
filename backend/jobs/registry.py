"""The job registry: every periodic job of every domain, one line each.

Add yours with one line in ``JOBS`` (or ``JOBS.append(Job(...))`` from your
module): a unique name, the function as ``"module:function"`` (imported when
it runs, so this file stays cheap to import; a job that needs the app's
settings or adapters gets an entry point in ``backend.jobs.entries``), and its period — ``every`` (a
``timedelta``) or ``daily_at`` (a local Europe/Rome ``time``). The function
takes no arguments and runs inside the app context; it opens its own
transactions with ``db.run_in_transaction`` (or wrap a ``fn(session)`` with
``in_transaction("module:fn")``). Each job runs once per period even with
several scheduler processes (see ``backend.jobs.runner``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from importlib import import_module

from backend.i18n import ROME

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    target: str | Callable[[], object]
    every: timedelta | None = None
    daily_at: time | None = None  # Europe/Rome local time

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.name}: give exactly one of every= or daily_at=")

    def function(self) -> Callable[[], object]:
        return resolve(self.target)

    def period(self, now: datetime) -> str:
        """The period ``now`` falls in: its key is claimed once per job."""
        if self.every is not None:
            step = int(self.every.total_seconds())
            start = _EPOCH + timedelta(seconds=int((now - _EPOCH).total_seconds()) // step * step)
            return start.strftime("%Y-%m-%dT%H:%M:%SZ")
        local = now.astimezone(ROME)
        day = local.date() if local.time() >= self.daily_at else local.date() - timedelta(days=1)
        return day.isoformat()


def resolve(target: str | Callable) -> Callable:
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


def in_transaction(target: str | Callable) -> Callable[[], object]:
    """Adapt a ``fn(session)`` service to a job: run it in one retried transaction."""

    def run():
        from backend.web.database import current_database

        return current_database().run_in_transaction(resolve(target))

    run.target = target  # type: ignore[attr-defined]
    run.__name__ = f"in_transaction({target if isinstance(target, str) else target.__name__})"
    return run


JOBS: list[Job] = [
    Job("dispatch_outbox", "backend.jobs.entries:dispatch_outbox", every=timedelta(seconds=5)),
    Job("prune_idempotency_keys", "backend.jobs.entries:prune_idempotency_keys", every=timedelta(hours=1)),
    Job(
        "prune_refresh_tokens",
        in_transaction("backend.jobs.housekeeping:prune_expired_refresh_tokens"),
        daily_at=time(3, 30),
    ),
    Job("nightly_ledger_audit", "backend.jobs.entries:nightly_ledger_audit", daily_at=time(2, 0)),
    Job(
        "events_settle_pending_orders",
        in_transaction("backend.events.jobs:settle_pending_orders"),
        every=timedelta(seconds=30),
    ),
    Job(
        "events_expire_waitlist_offers",
        in_transaction("backend.events.jobs:expire_waitlist_offers"),
        every=timedelta(minutes=1),
    ),
    Job(
        "events_send_reminders", in_transaction("backend.events.jobs:send_event_reminders"), every=timedelta(minutes=15)
    ),
    Job("topups_settle", "backend.jobs.entries:settle_topups", every=timedelta(minutes=2)),
    Job("guides_kit_reminders", in_transaction("backend.guides.kits:send_kit_reminders"), every=timedelta(minutes=15)),
    Job(
        "confirmations_expire", in_transaction("backend.confirmations.services:expire_due"), every=timedelta(minutes=1)
    ),
    Job("ledger_expire_holds", in_transaction("backend.ledger.services:expire_holds"), every=timedelta(minutes=1)),
    Job("campaigns_close", "backend.jobs.entries:campaigns_close", every=timedelta(minutes=1)),
    Job("campaigns_recurring", "backend.jobs.entries:campaigns_recurring", every=timedelta(minutes=5)),
    Job("campaigns_issue_receipts", "backend.jobs.entries:campaigns_issue_receipts", every=timedelta(minutes=1)),
    Job(
        "campaigns_settle_card_donations",
        "backend.jobs.entries:campaigns_settle_card_donations",
        every=timedelta(minutes=2),
    ),
    Job("reconcile_card_payouts", "backend.jobs.entries:reconcile_card_payouts", every=timedelta(hours=1)),
    Job("finance_psd2_monitor", in_transaction("backend.finance.psd2:warn"), daily_at=time(6, 0)),
]


def job_named(name: str, jobs: list[Job] | None = None) -> Job:
    for job in jobs if jobs is not None else JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
