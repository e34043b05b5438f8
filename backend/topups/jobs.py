"""Settle top-ups whose webhook or receipt never came, and send pending refunds (scheduler job + CLI).

The scheduler's entry point is ``backend.jobs.entries.settle_topups``.
"""

from __future__ import annotations

import logging

from backend.errors import DomainError
from backend.topups.refunds import submit_pending_refunds
from backend.topups.services import open_topups_to_settle, settle_topup
from payments.base import PaymentError

log = logging.getLogger(__name__)


def settle(database, provider) -> dict[str, int]:
    """Ask the provider about every open top-up older than a few minutes; one transaction each."""
    counts: dict[str, int] = {}
    for topup_id in database.run_in_transaction(open_topups_to_settle):
        try:
            outcome = database.run_in_transaction(lambda s: settle_topup(s, provider, topup_id))  # noqa: B023 - runs at once
        except (PaymentError, DomainError) as exc:
            log.warning("could not settle top-up %s now: %s", topup_id, exc)
            outcome = "provider_unavailable"
        counts[outcome] = counts.get(outcome, 0) + 1
    for outcome, n in submit_pending_refunds(database, provider).items():
        counts[f"refund_{outcome}"] = n
    return counts


def settle_pagopa(database, provider, settings) -> dict[str, int]:
    """Ask pagoPA about open notices (receipt? past due?) and given-up ones (a late receipt?)."""
    from backend.topups.pagopa import notices_to_settle, settle_notice

    counts: dict[str, int] = {}
    for notice_id in database.run_in_transaction(notices_to_settle):
        try:
            outcome = database.run_in_transaction(
                lambda s: settle_notice(s, provider, settings, notice_id)  # noqa: B023 - runs at once
            )
        except (PaymentError, DomainError) as exc:
            log.warning("could not settle pagoPA notice %s now: %s", notice_id, exc)
            outcome = "provider_unavailable"
        counts[f"pagopa_{outcome}"] = counts.get(f"pagopa_{outcome}", 0) + 1
    return counts
