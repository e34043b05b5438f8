"""Hold states: a settled hold stays settled, and the wallet's reserved money with it."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backend.db import utcnow
from backend.errors import DomainError
from backend.ledger.audit import run_audit
from backend.ledger.models import HOLD_TRANSITIONS, Hold, HoldState, JournalEntry
from backend.ledger.services import (
    capture_hold,
    credit,
    expire_holds,
    place_hold,
    release_hold,
    wallet_of,
)
from backend.money import Money
from tests.support.ledger import fund_wallet


@pytest.fixture
def funded(world):
    """The world's patron with 1000 in the wallet: (session, wallet, income)."""
    session, patron, income = world
    fund_wallet(session, patron, 1000)
    return session, wallet_of(session, patron), income


def hold_of(session, wallet, cents, minutes=10):
    return place_hold(session, wallet, Money(cents), expires_at=utcnow() + timedelta(minutes=minutes))


def stored(session, wallet, hold):
    session.refresh(wallet)
    return session.scalar(select(Hold.status).where(Hold.id == hold.id)), wallet.balance, wallet.held


def test_the_table_moves_a_hold_once_through_its_claim():
    assert HOLD_TRANSITIONS.sources_of(HoldState.SETTLING) == (HoldState.PENDING,)
    for final in (HoldState.CAPTURED, HoldState.RELEASED, HoldState.EXPIRED):
        assert HOLD_TRANSITIONS.sources_of(final) == (HoldState.SETTLING,)
        assert HOLD_TRANSITIONS.is_final(final)


def test_a_captured_hold_is_neither_released_nor_captured_again(funded):
    session, wallet, income = funded
    hold = hold_of(session, wallet, 600)
    capture_hold(session, hold, [credit(income, Money(600))], kind="ticket_purchase")
    before = stored(session, wallet, hold)
    assert before == (HoldState.CAPTURED, 400, 0)
    entries = session.scalar(select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1))

    for illegal in (
        lambda: release_hold(session, hold),
        lambda: capture_hold(session, hold, [credit(income, Money(600))], kind="ticket_purchase"),
    ):
        with pytest.raises(DomainError) as refused:
            illegal()
        assert refused.value.error.code == "hold_not_pending"
        assert stored(session, wallet, hold) == before
    assert session.scalar(select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1)) == entries
    assert run_audit(session).clean


def test_a_released_hold_cannot_be_captured_and_the_job_leaves_it_released(funded):
    session, wallet, income = funded
    hold = hold_of(session, wallet, 300, minutes=-1)  # past its expiry too
    release_hold(session, hold)
    before = stored(session, wallet, hold)
    assert before == (HoldState.RELEASED, 1000, 0)

    with pytest.raises(DomainError):
        capture_hold(session, hold, [credit(income, Money(300))], kind="ticket_purchase")
    assert expire_holds(session) == 0
    assert stored(session, wallet, hold) == before
    assert run_audit(session).clean


def test_an_expired_hold_cannot_be_captured(funded):
    session, wallet, income = funded
    hold = hold_of(session, wallet, 300, minutes=-1)
    assert expire_holds(session) == 1
    before = stored(session, wallet, hold)
    assert before == (HoldState.EXPIRED, 1000, 0)
    with pytest.raises(DomainError):
        capture_hold(session, hold, [credit(income, Money(300))], kind="ticket_purchase")
    assert stored(session, wallet, hold) == before
    assert run_audit(session).clean


def test_the_database_refuses_a_hold_state_outside_the_enum(funded):
    session, wallet, _ = funded
    hold = hold_of(session, wallet, 300)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(update(Hold).where(Hold.id == hold.id).values(status="spent"))
    session.rollback()
    assert session.scalar(select(Hold.status).where(Hold.id == hold.id)) == HoldState.PENDING
