"""Periodic work of +Teca, registered in ``backend.jobs.registry`` (entry points in ``backend.jobs.entries``).

- ``campaigns_close`` (1 min): campaigns past their deadline are settled once
  (``backend.campaigns.closing``), then card refunds of missed goals are sent;
- ``campaigns_recurring`` (5 min): recurring donations due are charged once per period;
- ``campaigns_issue_receipts`` (1 min): collected donations get their numbered receipt;
- ``campaigns_settle_card_donations`` (2 min): card donations whose provider event
  never came are checked with the provider, and pending card refunds are sent again.
"""

from __future__ import annotations

import logging

from backend.campaigns import closing, donations, receipts, recurring
from backend.config import Settings
from backend.db import Database
from payments.base import PaymentProvider

log = logging.getLogger(__name__)


def close_due(database: Database, provider: PaymentProvider) -> dict:
    counts = database.run_in_transaction(closing.close_due_campaigns)
    counts["refunds_sent"] = database.run_in_transaction(lambda s: closing.send_card_refunds(s, provider))
    if counts["settled"] or counts["late"] or counts["refunds_sent"]:
        log.info("campaigns close: %s", counts)
    return counts


def charge_recurring(database: Database, settings: Settings) -> dict:
    counts = database.run_in_transaction(lambda s: recurring.run_due(s, settings))
    if any(counts.values()):
        log.info("campaigns recurring: %s", counts)
    return counts


def issue_receipts(database: Database) -> int:
    return database.run_in_transaction(receipts.issue_pending_receipts)


def settle_card_donations(database: Database, provider: PaymentProvider) -> dict:
    credited = database.run_in_transaction(lambda s: donations.settle_open_card_donations(s, provider))
    refunds = database.run_in_transaction(lambda s: closing.send_card_refunds(s, provider))
    return {"credited": credited, "refunds_sent": refunds}
