"""A patron of one network paying in another: the wallet liability stays with the home network, the
income goes to the other, and the ledger records the position between them on its own."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.ledger.audit import run_audit
from backend.ledger.models import LedgerAccount, Posting
from backend.ledger.services import credit, debit, house_account, post_entry, reverse_entry, wallet_of
from backend.money import Money
from tests.finance.helpers import auth, make_net, pay_fee, top_up


def _settlement(db, net) -> int:
    """The network's settlement balance on its credit side: > 0 it owes the others."""
    total = db.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.kind == "network_settlement", LedgerAccount.network_id == net.network.id)
    )
    return -int(total)


def _network_sum(db, net) -> int:
    """What every entry put on the network's own accounts, minus its top-ups from the shared card clearing."""
    return int(
        db.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0))
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(LedgerAccount.network_id == net.network.id)
        )
    )


def test_a_fee_paid_in_another_network_books_the_position_between_the_two(db, client, app_ctx):
    a, b = make_net(db), make_net(db)
    top_up(db, a.patron, 2000)
    entry = pay_fee(db, a.patron, b.library, 500)
    db.commit()
    legs = {(p.account.kind, p.account.network_id): p.amount for p in entry.postings}
    assert legs == {
        ("wallet", a.network.id): 500,
        ("fee_income", b.network.id): -500,
        ("network_settlement", a.network.id): -500,
        ("network_settlement", b.network.id): 500,
    }
    assert (_settlement(db, a), _settlement(db, b)) == (500, -500)
    # Each network's own books balance but for the top-up from the shared card clearing.
    assert _network_sum(db, a) == -2000 and _network_sum(db, b) == 0
    # The patron sees one wallet and one payment of 5 €.
    history = client.get("/v1/wallet/transactions", headers=auth(a.patron)).get_json()["data"]
    assert sorted(t["amount"]["amount"] for t in history) == [500, 2000]
    assert "settlement" not in str(history)
    assert run_audit(db).clean


def test_an_entry_inside_one_network_gets_nothing_more(db, app_ctx):
    a = make_net(db)
    top_up(db, a.patron, 2000)
    entry = pay_fee(db, a.patron, a.library, 500)
    db.commit()
    assert len(entry.postings) == 2


def test_a_reversal_or_refund_takes_the_position_back_exactly(db, app_ctx):
    a, b = make_net(db), make_net(db)
    top_up(db, a.patron, 2000)
    first = pay_fee(db, a.patron, b.library, 500)
    second = pay_fee(db, a.patron, b.library, 300)
    reversal = reverse_entry(db, first)
    income = house_account(db, "fee_income", b.library.public_id, library=b.library)
    post_entry(
        db,
        kind="fee_refund",
        legs=[debit(income, Money(100)), credit(wallet_of(db, a.patron), Money(100))],
        refunds=second,
    )
    db.commit()
    # The reversal mirrors the four postings; nothing is added on top of them.
    assert len(reversal.postings) == 4
    assert (_settlement(db, a), _settlement(db, b)) == (200, -200)
    assert run_audit(db).clean


def test_a_partner_till_or_a_campaign_of_another_network_is_the_same_one_rule(db, app_ctx):
    a, b, c = make_net(db), make_net(db), make_net(db)
    top_up(db, a.patron, 3000)
    payable = house_account(db, "partner_payable", f"{b.network.public_id}:ptn_x", network=b.network)
    fund = house_account(db, "campaign_fund", "cmp_x", library=c.library, network=c.network)
    wallet = wallet_of(db, a.patron)
    post_entry(db, kind="till_payment", legs=[debit(wallet, Money(700)), credit(payable, Money(700))])
    post_entry(db, kind="donation", legs=[debit(wallet, Money(900)), credit(fund, Money(900))])
    db.commit()
    assert (_settlement(db, a), _settlement(db, b), _settlement(db, c)) == (1600, -700, -900)
    assert run_audit(db).clean
