"""Stripe payouts reconciled against the ledger: a month of balance transactions, fees, exceptions."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.campaigns.models import Donation
from backend.finance.reconciliation.models import ReconciliationItem, ReconciliationRun
from backend.topups.models import CardRefund
from tests.campaigns.helpers import make_campaign
from tests.reconciliation.fake_payouts import adjustment, charge, dispute, refund, stripe_fee

RUNS = "/v1/finance/reconciliation/runs"


def _card_donation(world, patron, amount):
    campaign = make_campaign(world.db, world)
    response = world.client.post(
        f"/v1/campaigns/{campaign.public_id}/donations",
        json={"amount": {"amount": amount, "currency": "EUR"}, "method": "card"},
        headers=world.headers(patron, **{"Idempotency-Key": str(uuid.uuid4())}),
    )
    assert response.status_code == 201, response.json
    intent_id = world.db.scalar(select(Donation.intent_id).where(Donation.public_id == response.json["donation"]["id"]))
    world.db.rollback()
    assert world.deliver("payment_intent.succeeded", world.fake.pay(intent_id)).json["outcome"] == "donation_credited"
    return intent_id


def _month(world, *extra_lines):
    """A month of card activity, and the payout Stripe makes of it (one line missing, one unexpected)."""
    p0, p1, p2 = world.patrons
    _, pi0 = world.paid_topup(p0, 5000)
    _, pi1 = world.paid_topup(p1, 2000)
    _, pi2 = world.paid_topup(p2, 3000)
    _, pi_missing = world.paid_topup(p1, 1000)
    pi_donation = _card_donation(world, p1, 2500)
    # The patron asks 15 € back to the card; Stripe refunds it.
    asked = world.client.post(
        "/v1/wallet/refunds",
        json={"amount": {"amount": 1500, "currency": "EUR"}},
        headers=world.headers(p0, **{"Idempotency-Key": str(uuid.uuid4())}),
    )
    assert asked.status_code == 201, asked.json
    refund_id = world.db.scalar(select(CardRefund.provider_refund_id))
    world.db.rollback()
    assert refund_id
    # Two refunds made in Stripe's dashboard, which we hear of as one cumulative refund.
    external = {
        "id": "ch_" + pi0[3:],
        "object": "charge",
        "payment_intent": pi0,
        "amount": 5000,
        "amount_refunded": 2000,
        "metadata": {},
    }
    assert world.deliver("charge.refunded", external).json["outcome"] == "refund_booked"
    disputed = {"id": "dp_1", "object": "dispute", "payment_intent": pi2, "amount": 3000, "currency": "eur"}
    assert world.deliver("charge.dispute.created", disputed).json["outcome"] == "dispute_booked"

    lines = [
        charge(pi0, 5000, 95),
        charge(pi1, 2000, 53),
        charge(pi2, 3000, 67),
        charge(pi_donation, 2500, 63),
        charge("pi_not_ours_at_all", 700, 30),  # unexpected
        refund(pi0, 1500, refund_id),
        refund(pi0, 300),
        refund(pi0, 200),
        dispute(pi2, 3000, fee=1500),
        stripe_fee(200),
        *extra_lines,
    ]  # the 10 € top-up (pi_missing) is in no payout: missing at Stripe
    payout = world.fake.add_payout(lines)
    return payout, pi_missing


def _items(world, run_id, **params):
    response = world.get(f"{RUNS}/{run_id}/items", query_string={"limit": 100, **params})
    assert response.status_code == 200, response.json
    return response.json["data"]


def test_a_month_of_balance_transactions_matches_books_fees_and_payout_and_lists_exceptions(world):
    payout, pi_missing = _month(world)
    assert payout["amount"] == 6192

    outcome = world.deliver("payout.paid", {"id": payout["id"], "object": "payout"}, "evt_payout_1")
    assert outcome.status_code == 200 and outcome.json["outcome"] == "payout_reconciled"
    # Paged through with the sources expanded (the payment each line is about).
    listed = [c for c in world.fake.calls if c[1] == "/v1/balance_transactions"]
    assert len(listed) == 4

    runs = world.get(RUNS).json["data"]
    assert len(runs) == 1
    run = runs[0]
    assert run["external_ref"] == payout["id"] and run["source"] == "stripe"
    assert run["statement_amount"] == {"amount": 6192, "currency": "EUR"}
    assert run["fee_amount"] == {"amount": 2008, "currency": "EUR"}
    assert run["gross_amount"] == {"amount": 8200, "currency": "EUR"}
    assert (run["matched_count"], run["exception_count"], run["open_exception_count"]) == (8, 2, 2)
    assert run["status"] == "open"

    items = _items(world, run["id"])
    by_outcome = {}
    for item in items:
        by_outcome.setdefault(item["outcome"], []).append(item)
    assert len(by_outcome["matched"]) == 8
    [missing] = by_outcome["missing_external"]
    assert missing["match_key"] == pi_missing and missing["our_amount"]["amount"] == 1000
    assert missing["external_amount"]["amount"] == 0 and missing["difference"]["amount"] == -1000
    [unexpected] = by_outcome["unexpected"]
    assert unexpected["match_key"] == "pi_not_ours_at_all" and unexpected["external_amount"]["amount"] == 700
    # Stripe's two dashboard refunds (3 € + 2 €) are one booking of ours: matched as a group.
    [grouped] = [i for i in by_outcome["matched"] if len([r for r in i["refs"] if r["side"] == "external"]) == 2]
    assert grouped["kind"] == "refund" and grouped["our_amount"]["amount"] == -500
    assert grouped["difference"]["amount"] == 0
    assert {i["kind"] for i in by_outcome["matched"]} == {"payment", "refund", "dispute", "fee"}
    exceptions = _items(world, run["id"], exceptions_only="true")
    assert {i["outcome"] for i in exceptions} == {"missing_external", "unexpected"}

    # What Stripe kept is an expense, the payout is in the bank, and card clearing holds
    # exactly the missing top-up less the unexpected charge.
    assert world.balance("card_fees") == 2008
    assert world.balance("bank") == 6192
    assert world.balance("card_clearing") == 1000 - 700
    world.audit_clean()


def test_re_running_changes_nothing_and_books_once(world):
    payout, _ = _month(world)
    assert world.deliver("payout.paid", {"id": payout["id"]}, "evt_p").json["outcome"] == "payout_reconciled"
    assert world.deliver("payout.paid", {"id": payout["id"]}, "evt_p").json["outcome"] == "duplicate"
    # Another delivery of the same payout (a new event id), the job, and finance's own re-run.
    assert world.deliver("payout.paid", {"id": payout["id"]}, "evt_q").json["outcome"] == "payout_reconciled"
    run = world.get(RUNS).json["data"][0]
    before = _items(world, run["id"])
    again = world.post(f"{RUNS}/{run['id']}/rerun")
    assert again.status_code == 200, again.json
    assert again.json["run_count"] == 3
    after = _items(world, run["id"])
    assert [(i["outcome"], i["match_key"], i["external_amount"], i["our_amount"]) for i in before] == [
        (i["outcome"], i["match_key"], i["external_amount"], i["our_amount"]) for i in after
    ]
    assert (again.json["matched_count"], again.json["open_exception_count"]) == (8, 2)
    assert world.entries("card_payout") == 1
    assert world.balance("bank") == 6192 and world.balance("card_fees") == 2008
    world.audit_clean()


def test_stripe_adjustments_are_booked_with_the_payout_and_card_clearing_stays_exact(world):
    payout, _ = _month(world, adjustment(-450, "Correzione saldo"), adjustment(120, "Rimborso commissioni"))
    assert payout["amount"] == 6192 - 450 + 120
    assert world.deliver("payout.paid", {"id": payout["id"]}, "evt_adj").json["outcome"] == "payout_reconciled"
    run = world.get(RUNS).json["data"][0]
    # The adjustments are matched by the payout's booking, not exceptions: the same two
    # exceptions as without them (the missing top-up, the unexpected charge).
    assert (run["matched_count"], run["open_exception_count"]) == (10, 2)
    adjustments = [i for i in _items(world, run["id"]) if i["kind"] == "adjustment"]
    assert sorted((i["outcome"], i["external_amount"]["amount"], i["our_amount"]["amount"]) for i in adjustments) == [
        ("matched", -450, -450),
        ("matched", 120, 120),
    ]
    assert {i["outcome"] for i in _items(world, run["id"], exceptions_only="true")} == {
        "missing_external",
        "unexpected",
    }
    # Card clearing holds exactly what it did without them; Stripe's net 3.30 € is its own account.
    assert world.balance("card_clearing") == 1000 - 700
    assert world.balance("card_adjustments") == 330
    assert world.balance("bank") == 6192 - 330 and world.balance("card_fees") == 2008
    world.audit_clean()

    # Re-run by finance and redelivered: nothing more is booked, nothing changes.
    before = _items(world, run["id"])
    assert world.post(f"{RUNS}/{run['id']}/rerun").status_code == 200
    assert world.deliver("payout.paid", {"id": payout["id"]}, "evt_adj_2").json["outcome"] == "payout_reconciled"
    after = _items(world, run["id"])
    assert [(i["outcome"], i["kind"], i["external_amount"]) for i in before] == [
        (i["outcome"], i["kind"], i["external_amount"]) for i in after
    ]
    assert world.entries("card_payout") == 1
    assert world.balance("card_clearing") == 1000 - 700 and world.balance("card_adjustments") == 330
    world.audit_clean()

    from tests.reconciliation.test_console import _sign_in

    _sign_in(world.client, world.finance)
    page = world.client.get(f"/console/reconciliation/{run['id']}").get_data(as_text=True)
    matched = page[page.index('id="matched"') :]
    assert matched.count("Rettifica") == 2 and "registrata col versamento" in matched


def test_finance_resolves_exceptions_with_a_note_and_the_run_is_reconciled(world):
    payout, _ = _month(world)
    world.deliver("payout.paid", {"id": payout["id"]})
    run = world.get(RUNS).json["data"][0]
    exceptions = _items(world, run["id"], exceptions_only="true")
    missing = next(i for i in exceptions if i["outcome"] == "missing_external")
    url = f"{RUNS}/{run['id']}/items/{missing['id']}/resolve"

    blank = world.post(url, json={"note": "   "})
    assert blank.status_code == 400 and blank.json["error"]["code"] == "resolution_note_required"
    assert world.post(url, json={}).status_code == 400
    assert world.post(url, json={"note": "x" * 1001}).status_code == 400
    still = world.get(f"{RUNS}/{run['id']}").json
    assert still["open_exception_count"] == 2 and still["status"] == "open"

    done = world.post(url, json={"note": "Pagamento annullato dal cliente in Stripe, stornato a mano"})
    assert done.status_code == 200, done.json
    assert done.json["status"] == "resolved" and done.json["resolved_by"] == world.finance.public_id
    assert done.json["note"].startswith("Pagamento annullato") and done.json["resolved_at"].endswith("Z")
    from backend.finance.models import StaffAuditEvent

    world.db.rollback()
    [event] = world.db.scalars(
        select(StaffAuditEvent).where(StaffAuditEvent.action == "reconciliation.exception_resolved")
    ).all()
    assert event.actor == world.finance.public_id and event.target == missing["id"]
    assert event.after["note"].startswith("Pagamento annullato") and event.before == {"status": "open"}
    world.db.rollback()
    twice = world.post(url, json={"note": "again"})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "reconciliation_item_not_open"
    assert world.get(f"{RUNS}/{run['id']}").json["status"] == "open"

    unexpected = next(i for i in exceptions if i["outcome"] == "unexpected")
    by_admin = world.post(
        f"{RUNS}/{run['id']}/items/{unexpected['id']}/resolve", world.admin, json={"note": "Addebito di prova Stripe"}
    )
    assert by_admin.status_code == 200
    closed = world.get(f"{RUNS}/{run['id']}").json
    assert closed["status"] == "reconciled" and closed["open_exception_count"] == 0
    # A re-run keeps what finance resolved.
    rerun = world.post(f"{RUNS}/{run['id']}/rerun").json
    assert rerun["status"] == "reconciled" and rerun["exception_count"] == 2
    kept = {i["id"]: i["note"] for i in _items(world, run["id"], status="resolved")}
    assert kept[missing["id"]].startswith("Pagamento annullato")
    # A matched item is not an exception to resolve.
    matched = _items(world, run["id"], status="matched")[0]
    refused = world.post(f"{RUNS}/{run['id']}/items/{matched['id']}/resolve", json={"note": "no"})
    assert refused.status_code == 409


def test_another_network_sees_none_of_it_and_other_roles_are_refused(world):
    payout, _ = _month(world)
    world.deliver("payout.paid", {"id": payout["id"]})
    run = world.get(RUNS).json["data"][0]
    item = _items(world, run["id"], exceptions_only="true")[0]
    other = world.other_finance
    assert world.get(RUNS, other).json["data"] == []
    assert world.get(f"{RUNS}/{run['id']}", other).status_code == 404
    assert world.get(f"{RUNS}/{run['id']}/items", other).status_code == 404
    assert world.post(f"{RUNS}/{run['id']}/rerun", other).status_code == 404
    resolve = world.post(f"{RUNS}/{run['id']}/items/{item['id']}/resolve", other, json={"note": "mine now"})
    assert resolve.status_code == 404
    assert world.get(RUNS, world.librarian).status_code == 403
    assert world.get(RUNS, world.patrons[0]).status_code == 403
    world.db.rollback()
    assert world.db.scalar(select(ReconciliationItem.note).where(ReconciliationItem.public_id == item["id"])) == ""
    world.db.rollback()


def test_a_missing_payment_found_in_the_next_payout_settles_the_earlier_exception(world):
    payout, pi_missing = _month(world)
    world.deliver("payout.paid", {"id": payout["id"]})
    later = world.fake.add_payout([charge(pi_missing, 1000, 40)])
    assert world.deliver("payout.paid", {"id": later["id"]}).json["outcome"] == "payout_reconciled"
    runs = {r["external_ref"]: r for r in world.get(RUNS).json["data"]}
    first, second = runs[payout["id"]], runs[later["id"]]
    assert (second["matched_count"], second["exception_count"]) == (1, 0)
    assert second["status"] == "reconciled"
    assert first["open_exception_count"] == 1  # only the unexpected charge is left
    settled = next(i for i in _items(world, first["id"]) if i["outcome"] == "missing_external")
    assert settled["status"] == "resolved" and later["id"] in settled["note"]
    assert world.balance("card_clearing") == -700
    world.audit_clean()


def test_a_payout_not_yet_paid_is_not_reconciled(world):
    payout = world.fake.add_payout([stripe_fee(100)], status="in_transit")
    assert world.deliver("payout.paid", {"id": payout["id"]}).json["outcome"] == "payout_not_paid"
    world.db.rollback()
    assert world.db.scalar(select(ReconciliationRun.id)) is None
    world.db.rollback()


def test_the_scheduled_job_reconciles_payouts_whose_webhook_never_came(world):
    from backend.jobs.entries import reconcile_card_payouts
    from backend.jobs.registry import job_named

    assert job_named("reconcile_card_payouts").function() is not None
    payout, _ = _month(world)
    world.db.rollback()
    assert reconcile_card_payouts() == {"new": 1, "rerun": 0, "failed": 0}
    # Open runs (exceptions left) are matched again on the next run; nothing is booked twice.
    assert reconcile_card_payouts() == {"new": 0, "rerun": 1, "failed": 0}
    [run] = world.get(RUNS).json["data"]
    assert run["external_ref"] == payout["id"] and run["open_exception_count"] == 2 and run["run_count"] == 2
    assert world.entries("card_payout") == 1
    world.audit_clean()


def test_stripe_unavailable_leaves_nothing_behind_and_the_event_is_redelivered(world):
    payout, _ = _month(world)
    world.fake.fail_next = 500
    failed = world.deliver("payout.paid", {"id": payout["id"]}, "evt_down")
    assert failed.status_code == 503
    world.db.rollback()
    assert world.db.scalar(select(ReconciliationRun.id)) is None
    world.db.rollback()
    assert world.entries("card_payout") == 0
    again = world.deliver("payout.paid", {"id": payout["id"]}, "evt_down")
    assert again.json["outcome"] == "payout_reconciled"
