"""Differences within the tolerance: matched, and booked once in the ledger, the run naming the entry."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from backend.finance.reconciliation.stripe_payouts import SETTINGS_INFO
from backend.ledger.models import JournalEntry, Posting
from tests.reconciliation.fake_payouts import charge

RUNS = "/v1/finance/reconciliation/runs"


@pytest.fixture
def tolerance(app, world):
    settings = app.config["SETTINGS"]
    info = app.extensions["borsellino.db"].session_info
    app.config["SETTINGS"] = info[SETTINGS_INFO] = replace(settings, reconciliation_tolerance=5)
    yield 5
    app.config["SETTINGS"] = info[SETTINGS_INFO] = settings


def _items(world, run_id):
    response = world.get(f"{RUNS}/{run_id}/items", query_string={"limit": 100})
    assert response.status_code == 200, response.json
    return {i["match_key"]: i for i in response.json["data"]}


def _payout(world, lines, event_id):
    payout = world.fake.add_payout(lines)
    outcome = world.deliver("payout.paid", {"id": payout["id"], "object": "payout"}, event_id)
    assert outcome.json["outcome"] == "payout_reconciled", outcome.json
    return next(r for r in world.get(RUNS).json["data"] if r["external_ref"] == payout["id"])


def test_a_difference_within_the_tolerance_is_booked_once_and_shown_on_the_run(world, tolerance):
    p0, p1, p2 = world.patrons
    _, pi0 = world.paid_topup(p0, 5000)
    _, pi1 = world.paid_topup(p1, 2000)
    _, pi2 = world.paid_topup(p2, 3000)
    # Stripe says 3 cents more on one, 2 less on another (within 5), 10 more on the third (not).
    run = _payout(world, [charge(pi0, 5003, 0), charge(pi1, 1998, 0), charge(pi2, 3010, 0)], "evt_t1")
    assert (run["matched_count"], run["open_exception_count"]) == (2, 1)
    items = _items(world, run["id"])
    assert (items[pi0]["outcome"], items[pi0]["difference"]["amount"]) == ("matched", 3)
    assert (items[pi1]["outcome"], items[pi1]["difference"]["amount"]) == ("matched", -2)
    assert items[pi2]["outcome"] == "amount_difference" and items[pi2]["difference_entry_id"] is None
    entries = {pi: items[pi]["difference_entry_id"] for pi in (pi0, pi1)}
    assert all(e and e.startswith("txn_") for e in entries.values()), entries

    world.db.rollback()
    booked = dict(
        world.db.execute(
            select(JournalEntry.public_id, JournalEntry.reference).where(
                JournalEntry.kind == "reconciliation_difference"
            )
        ).all()
    )
    assert booked == {entries[pi0]: items[pi0]["id"], entries[pi1]: items[pi1]["id"]}
    legs = world.db.scalars(
        select(Posting.amount).join(JournalEntry).where(JournalEntry.public_id == entries[pi0]).order_by(Posting.amount)
    ).all()
    assert legs == [-3, 3]
    world.db.rollback()
    # Card clearing keeps only the difference beyond the tolerance; the network gained 1 cent net.
    assert world.balance("card_clearing") == -10
    assert world.balance("reconciliation_differences") == -3 + 2
    world.audit_clean()

    # Re-running (finance, another delivery) books nothing more and keeps the entries.
    again = world.post(f"{RUNS}/{run['id']}/rerun")
    assert again.status_code == 200 and again.json["run_count"] == 2
    # Its own difference entries on card clearing are not ours-missing-at-Stripe.
    assert (again.json["matched_count"], again.json["open_exception_count"]) == (2, 1)
    world.deliver("payout.paid", {"id": run["external_ref"], "object": "payout"}, "evt_t2")
    after = _items(world, run["id"])
    assert {pi: after[pi]["difference_entry_id"] for pi in (pi0, pi1)} == entries
    assert world.entries("reconciliation_difference") == 2
    assert world.balance("reconciliation_differences") == -1 and world.balance("card_clearing") == -10

    # The next payout does not take the booked differences for card money it lacks.
    _, pi3 = world.paid_topup(p0, 1000)
    later = _payout(world, [charge(pi3, 1000, 0)], "evt_t3")
    assert (later["matched_count"], later["exception_count"]) == (1, 0) and later["status"] == "reconciled"
    world.audit_clean()


def test_another_networks_finance_does_not_see_the_run_or_its_entries(world, tolerance):
    _, pi0 = world.paid_topup(world.patrons[0], 5000)
    run = _payout(world, [charge(pi0, 5004, 0)], "evt_o1")
    assert world.get(f"{RUNS}/{run['id']}/items", world.other_finance).status_code == 404
    assert world.post(f"{RUNS}/{run['id']}/rerun", world.other_finance).status_code == 404
    assert world.get(RUNS, world.other_finance).json["data"] == []
    assert world.entries("reconciliation_difference") == 1
