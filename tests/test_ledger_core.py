"""The ledger's rules, at the service level: balanced, immutable, never negative, traceable."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from backend.db import utcnow
from backend.errors import DomainError
from backend.ledger.audit import run_audit
from backend.ledger.errors import UnbalancedEntry
from backend.ledger.models import FundingLot, JournalEntry, LedgerAccount, Posting
from backend.ledger.services import (
    Leg,
    account_balance,
    capture_hold,
    credit,
    debit,
    expire_holds,
    house_account,
    place_hold,
    post_entry,
    release_hold,
    reverse_entry,
    wallet_lots,
    wallet_of,
)
from backend.money import Money
from tests.support.factories import make_library, make_network, make_patron
from tests.support.ledger import fund_wallet


@pytest.fixture
def world(db, app_ctx):
    network = make_network(db)
    library = make_library(db, network)
    patron = make_patron(db, network, library)
    income = house_account(db, "fee_income", library.public_id, library=library)
    return db, patron, income


def pay(session, patron, income, amount, **kw):
    wallet = wallet_of(session, patron)
    return post_entry(
        session, kind="fee_payment", legs=[debit(wallet, Money(amount)), credit(income, Money(amount))], **kw
    )


def balance(session, patron):
    wallet = wallet_of(session, patron)
    session.refresh(wallet)
    return wallet.balance, wallet.held


def test_payment_moves_money_from_wallet_to_income(world):
    session, patron, income = world
    fund_wallet(session, patron, 2000)
    pay(session, patron, income, 750)
    assert balance(session, patron) == (1250, 0)
    assert account_balance(session, income) == Money(750)
    assert account_balance(session, wallet_of(session, patron)) == Money(1250)
    assert run_audit(session).clean


def test_overspending_is_refused_with_the_shortfall_and_changes_nothing(world):
    session, patron, income = world
    fund_wallet(session, patron, 500)
    session.commit()
    entries_before = session.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(DomainError) as refused:
        pay(session, patron, income, 800)
    session.rollback()
    body = refused.value.body("en")["error"]
    assert body["code"] == "insufficient_funds"
    assert body["shortfall"] == {"amount": 300, "currency": "EUR"}
    assert "€3.00" in body["message"]
    assert balance(session, patron) == (500, 0)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries_before


def test_unbalanced_or_malformed_entries_are_refused(world):
    session, patron, income = world
    wallet = wallet_of(session, patron)
    with pytest.raises(UnbalancedEntry):
        post_entry(session, kind="x", legs=[Leg(wallet, 100), Leg(income, -90)])
    with pytest.raises(UnbalancedEntry):
        post_entry(session, kind="x", legs=[Leg(wallet, 100)])
    with pytest.raises(UnbalancedEntry):
        debit(wallet, Money(-5))


def test_holds_reserve_money_until_captured_or_released(world):
    session, patron, income = world
    fund_wallet(session, patron, 1000)
    wallet = wallet_of(session, patron)
    hold = place_hold(session, wallet, Money(600), expires_at=utcnow() + timedelta(minutes=10))
    assert balance(session, patron) == (1000, 600)
    with pytest.raises(DomainError), session.begin_nested():
        pay(session, patron, income, 500)  # only 400 is free
    capture_hold(session, hold, [credit(income, Money(600))], kind="ticket_purchase")
    assert balance(session, patron) == (400, 0)
    assert hold.status == "captured"
    second = place_hold(session, wallet, Money(400), expires_at=utcnow() + timedelta(minutes=10))
    release_hold(session, second)
    assert balance(session, patron) == (400, 0)
    with pytest.raises(DomainError):
        release_hold(session, second)  # settled holds stay settled
    assert run_audit(session).clean


def test_expired_holds_are_released_by_the_job(world):
    session, patron, _ = world
    fund_wallet(session, patron, 1000)
    wallet = wallet_of(session, patron)
    place_hold(session, wallet, Money(300), expires_at=utcnow() - timedelta(seconds=1))
    live = place_hold(session, wallet, Money(200), expires_at=utcnow() + timedelta(minutes=5))
    assert expire_holds(session) == 1
    assert balance(session, patron) == (1000, 200)
    assert live.status == "pending"


def test_reversal_gives_money_back_to_the_same_funding_and_happens_once(world):
    session, patron, income = world
    fund_wallet(session, patron, 300, source="cash")
    fund_wallet(session, patron, 500, source="card", provider_ref="pi_1")
    payment = pay(session, patron, income, 600)  # all the cash, 300 of the card money
    reversal = reverse_entry(session, payment)
    assert reversal.reverses_id == payment.id
    assert balance(session, patron) == (800, 0)
    remaining = {lot.source: lot.remaining for lot in wallet_lots(session, wallet_of(session, patron))}
    assert remaining == {"cash": 300, "card": 500}
    with pytest.raises(DomainError) as again:
        reverse_entry(session, payment)
    assert again.value.error.code == "already_reversed"
    assert run_audit(session).clean


def test_partial_refunds_never_exceed_the_payment(world):
    session, patron, income = world
    fund_wallet(session, patron, 1000)
    payment = pay(session, patron, income, 900)
    wallet = wallet_of(session, patron)
    for _ in range(2):
        post_entry(
            session, kind="refund", legs=[debit(income, Money(400)), credit(wallet, Money(400))], refunds=payment
        )
    with pytest.raises(DomainError) as too_much:
        post_entry(
            session, kind="refund", legs=[debit(income, Money(200)), credit(wallet, Money(200))], refunds=payment
        )
    assert too_much.value.error.code == "refund_exceeds_payment"
    session.rollback()


def test_spending_can_be_limited_to_card_money(world):
    session, patron, _ = world
    fund_wallet(session, patron, 700, source="cash")
    fund_wallet(session, patron, 200, source="card", provider_ref="pi_9")
    wallet = wallet_of(session, patron)
    clearing = house_account(session, "card_clearing", "stripe")
    with pytest.raises(DomainError) as refused:
        post_entry(
            session,
            kind="card_refund",
            legs=[debit(wallet, Money(300)), credit(clearing, Money(300))],
            spend_from=("card",),
        )
    assert refused.value.body("en")["error"]["shortfall"] == {"amount": 100, "currency": "EUR"}


def test_audit_finds_a_tampered_balance(world):
    session, patron, income = world
    fund_wallet(session, patron, 1000)
    session.commit()
    session.execute(update(LedgerAccount).where(LedgerAccount.kind == "wallet").values(balance=5000))
    session.commit()
    report = run_audit(session)
    assert not report.clean
    assert any("cached balance 5000 but postings say 1000" in p for p in report.problems)


@pytest.mark.postgres_only
def test_postgres_refuses_changing_or_deleting_ledger_rows(world):
    session, patron, income = world
    fund_wallet(session, patron, 1000)
    session.commit()
    for statement in ("UPDATE postings SET amount = amount * 2", "DELETE FROM journal_entries"):
        with pytest.raises(Exception) as refused:
            session.execute(text(statement))
            session.flush()
        assert "immutable" in str(refused.value)
        session.rollback()


@pytest.mark.postgres_only
def test_postgres_refuses_an_unbalanced_entry_at_commit(world):
    session, patron, income = world
    entry = JournalEntry(kind="forged", currency="EUR", created_at=utcnow())
    session.add(entry)
    session.flush()
    session.add(Posting(entry_id=entry.id, account_id=income.id, amount=-100, currency="EUR", created_at=utcnow()))
    session.add(Posting(entry_id=entry.id, account_id=income.id, amount=99, currency="EUR", created_at=utcnow()))
    with pytest.raises(Exception) as refused:
        session.commit()
    assert "does not balance" in str(refused.value)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(FundingLot)) == 0
