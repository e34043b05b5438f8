"""One card processor account for every network: another network's card money is a position between
networks, and the card network's finance reconciles it without seeing whose it was."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from backend.db import utcnow
from backend.ledger import services as ledger_services
from backend.ledger.models import LedgerAccount, Posting
from backend.ledger.periods import trial_balance
from backend.topups.models import CardRefund
from tests.finance.helpers import auth, inside, last_month
from tests.reconciliation.fake_payouts import charge, refund
from tests.support.factories import make_library, make_patron

RUNS = "/v1/finance/reconciliation/runs"


def _settlement(db, network) -> int:
    """The network's position on its credit side: > 0 it owes the others, < 0 it is owed."""
    total = db.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.kind == "network_settlement", LedgerAccount.network_id == network.id)
    )
    db.rollback()
    return -int(total)


def _trial_balance(db, network) -> dict[str, int]:
    lines = trial_balance(db, network.id, utcnow() + timedelta(seconds=1))
    by_kind = {line.account.kind if line.account else "shared:counterpart": line.amount for line in lines}
    db.rollback()
    return by_kind


def _patron_of_other_network(world):
    library = make_library(world.db, world.other_network)
    patron = make_patron(world.db, world.other_network, library)
    world.db.commit()
    return patron


def test_a_card_top_up_of_another_networks_patron_is_owed_by_the_card_network(world, client, monkeypatch):
    patron = _patron_of_other_network(world)
    a, b = world.other_network, world.network
    # Booked last month (the ledger dates its entries by this clock), so the month's statement can be drawn.
    month = last_month()
    monkeypatch.setattr(ledger_services, "utcnow", lambda: inside(month, 3))
    topup_id, _ = world.paid_topup(patron, 3000)
    monkeypatch.undo()

    # A owes its patron 30 € and is owed them by B, which holds the card money.
    assert (_settlement(world.db, a), _settlement(world.db, b)) == (-3000, 3000)
    assert _trial_balance(world.db, a) == {"wallet": -3000, "network_settlement": 3000}
    assert _trial_balance(world.db, b) == {"card_clearing": 3000, "network_settlement": -3000}
    world.audit_clean()

    drawn = client.post("/v1/finance/clearing", json={"month": month}, headers=auth(world.other_finance))
    assert drawn.status_code == 200, drawn.get_json()
    body = drawn.get_json()
    assert body["my_position"] == {"amount": -3000, "currency": "EUR"}
    [transfer] = body["transfers"]
    assert (transfer["payer"]["id"], transfer["payee"]["id"]) == (b.public_id, a.public_id)
    assert transfer["amount"]["amount"] == 3000
    assert topup_id not in str(body) and patron.public_id not in str(body)


def test_a_refund_to_the_card_takes_the_position_back(world):
    patron = _patron_of_other_network(world)
    a, b = world.other_network, world.network
    world.paid_topup(patron, 3000)
    asked = world.client.post(
        "/v1/wallet/refunds",
        json={"amount": {"amount": 1000, "currency": "EUR"}},
        headers=world.headers(patron, **{"Idempotency-Key": str(uuid.uuid4())}),
    )
    assert asked.status_code == 201, asked.json
    assert (_settlement(world.db, a), _settlement(world.db, b)) == (-2000, 2000)
    assert _trial_balance(world.db, a) == {"wallet": -2000, "network_settlement": 2000}
    world.audit_clean()


def test_the_card_networks_run_items_show_another_networks_money_but_not_whose(world):
    a_patron = _patron_of_other_network(world)
    own_patron = world.patrons[0]
    their_topup, their_intent = world.paid_topup(a_patron, 3000)
    own_topup, own_intent = world.paid_topup(own_patron, 2000)
    asked = world.client.post(
        "/v1/wallet/refunds",
        json={"amount": {"amount": 500, "currency": "EUR"}},
        headers=world.headers(a_patron, **{"Idempotency-Key": str(uuid.uuid4())}),
    )
    assert asked.status_code == 201, asked.json
    refund_row = world.db.scalars(select(CardRefund)).one()
    refund_id, refund_public_id = refund_row.provider_refund_id, refund_row.public_id
    world.db.rollback()
    payout = world.fake.add_payout(
        [charge(their_intent, 3000, 60), charge(own_intent, 2000, 40), refund(their_intent, 500, refund_id)]
    )
    assert world.deliver("payout.paid", {"id": payout["id"], "object": "payout"}).json["outcome"] == (
        "payout_reconciled"
    )
    [run] = world.get(RUNS).json["data"]
    items = world.get(f"{RUNS}/{run['id']}/items", query_string={"limit": 100}).json["data"]
    assert {i["outcome"] for i in items} == {"matched"}
    theirs = [i for i in items if i["network"] == world.other_network.code]
    [ours] = [i for i in items if i["network"] == world.network.code]
    assert {(i["kind"], i["our_amount"]["amount"]) for i in theirs} == {("payment", 3000), ("refund", -500)}
    # Our entry and its kind, amount and network; not which top-up or refund, nor whose.
    assert all(r["ref"].startswith("txn_") for i in theirs for r in i["refs"] if r["side"] == "ours")
    text = str(theirs)
    for hidden in (their_topup, refund_public_id, a_patron.public_id):
        assert hidden not in text
    assert own_topup in str(ours)
    # The payout is the card network's; the position stays with the two networks.
    assert (_settlement(world.db, world.other_network), _settlement(world.db, world.network)) == (-2500, 2500)
    world.audit_clean()
