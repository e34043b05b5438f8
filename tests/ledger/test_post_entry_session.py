"""What ``post_entry`` leaves in the session: its rows are written with Core statements,
so the objects a caller already holds must still read what the database says."""

import pytest

from backend.errors import DomainError
from backend.ledger.services import (
    credit,
    debit,
    post_entry,
    reverse_entry,
    wallet_lots,
    wallet_of,
)
from backend.money import Money
from tests.support.ledger import fund_wallet


def pay(session, patron, income, amount, **kw):
    wallet = wallet_of(session, patron)
    return post_entry(
        session, kind="fee_payment", legs=[debit(wallet, Money(amount)), credit(income, Money(amount))], **kw
    )


def test_the_returned_entry_loads_its_postings_and_the_wallet_shows_its_new_balance(world):
    session, patron, income = world
    fund_wallet(session, patron, 1000)
    wallet = wallet_of(session, patron)
    payment = pay(session, patron, income, 400)
    assert sorted((p.account_id, p.amount) for p in payment.postings) == sorted([(wallet.id, 400), (income.id, -400)])
    assert (wallet.balance, wallet.held) == (600, 0)


def test_lots_already_in_the_session_follow_spending_and_giving_back(world):
    session, patron, income = world
    fund_wallet(session, patron, 300, source="cash")
    fund_wallet(session, patron, 500, source="card", provider_ref="pi_1")
    wallet = wallet_of(session, patron)
    cash, card = wallet_lots(session, wallet)
    payment = pay(session, patron, income, 600)
    assert (cash.remaining, card.remaining) == (0, 200)
    for amount, after in ((100, (0, 300)), (500, (300, 500))):
        post_entry(
            session, kind="refund", legs=[debit(income, Money(amount)), credit(wallet, Money(amount))], refunds=payment
        )
        assert (cash.remaining, card.remaining) == after


def test_an_entry_rolled_back_in_a_savepoint_leaves_nothing_stale_behind(world):
    session, patron, income = world
    topup = fund_wallet(session, patron, 500)
    wallet = wallet_of(session, patron)
    [lot] = wallet_lots(session, wallet)
    # Refused after the wallet was debited: only card money, none of it cash.
    with pytest.raises(DomainError), session.begin_nested():
        post_entry(
            session,
            kind="payout_cash",
            legs=[debit(wallet, Money(200)), credit(income, Money(200))],
            spend_from=("cash",),
        )
    assert (wallet.balance, lot.remaining) == (500, 500)
    pay(session, patron, income, 500)
    # Refused after inserting its entry; the error (kept, as a caller may) still
    # references that entry object, which must not come back as a later entry.
    with pytest.raises(DomainError) as refused, session.begin_nested():
        reverse_entry(session, topup)
    assert refused.value.error.code == "insufficient_funds"
    # On SQLite the next entry may get the rolled-back entry's id.
    again = fund_wallet(session, patron, 300)
    assert (again.kind, again.reverses_id) == ("topup_card", None)
    reversal = reverse_entry(session, again)
    assert reversal.reverses_id == again.id
    assert (wallet.balance, wallet.held) == (0, 0)
