"""The scheduler's entry points: each job as a function of no arguments, run in the app context.

The services they call take their database, settings and adapters as
arguments; only here (and in the CLI and the views) are those read from the
running app. A plain ``fn(session)`` service needs no entry point here: the
registry wraps it with ``in_transaction("module:fn")``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from backend.web.database import current_database

log = logging.getLogger(__name__)


def dispatch_outbox():
    from backend.notify.dispatcher import channels_for, dispatch_outbox

    return dispatch_outbox(current_database(), channels_for(current_app.config["SETTINGS"]))


def prune_idempotency_keys() -> int:
    from backend.idempotency import prune_expired

    ttl = timedelta(hours=current_app.config["SETTINGS"].idempotency_ttl_hours)
    return current_database().run_in_transaction(lambda s: prune_expired(s, ttl))


def nightly_ledger_audit() -> int:
    from backend.jobs.housekeeping import nightly_ledger_audit

    return nightly_ledger_audit(current_database())


def settle_topups() -> None:
    from backend.topups.jobs import settle, settle_pagopa
    from backend.topups.provider import get_notice_provider, get_provider

    counts = settle(current_database(), get_provider(current_app))
    counts.update(settle_pagopa(current_database(), get_notice_provider(current_app), current_app.config["SETTINGS"]))
    if counts:
        log.info("topups settle: %s", counts)


def campaigns_close() -> dict:
    from backend.campaigns.jobs import close_due
    from backend.topups.provider import get_provider

    return close_due(current_database(), get_provider(current_app))


def campaigns_recurring() -> dict:
    from backend.campaigns.jobs import charge_recurring

    return charge_recurring(current_database(), current_app.config["SETTINGS"])


def campaigns_issue_receipts() -> int:
    from backend.campaigns.jobs import issue_receipts

    return issue_receipts(current_database())


def campaigns_settle_card_donations() -> dict:
    from backend.campaigns.jobs import settle_card_donations
    from backend.topups.provider import get_provider

    return settle_card_donations(current_database(), get_provider(current_app))


def reconcile_card_payouts() -> dict:
    from backend.finance.reconciliation.stripe_payouts import reconcile_recent_payouts
    from backend.topups.provider import get_provider

    return reconcile_recent_payouts(current_database(), get_provider(current_app), current_app.config["SETTINGS"])
