"""Fee states: a waived fee is never paid nor waived again; the database keeps the column in the enum."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backend.fees.models import FEE_TRANSITIONS, Fee, FeeState
from tests.fees.helpers import charge, make_world, money_state, pay
from tests.support.ledger import fund_wallet


@pytest.fixture
def world(db, app_ctx):
    return make_world(db)


def _waiver(db, fee_id):
    row = db.execute(
        select(Fee.status, Fee.waived_at, Fee.waived_by, Fee.waive_reason).where(Fee.public_id == fee_id)
    ).one()
    db.commit()
    return tuple(row)


def test_only_outstanding_fees_are_paid_and_waived_is_final():
    assert FEE_TRANSITIONS.sources_of(FeeState.PAID) == (FeeState.OUTSTANDING,)
    assert set(FEE_TRANSITIONS.sources_of(FeeState.WAIVED)) == {FeeState.OUTSTANDING, FeeState.PAID}
    assert FEE_TRANSITIONS.is_final(FeeState.WAIVED)


def test_a_waived_fee_is_neither_paid_nor_waived_again_and_keeps_its_waiver(client, db, world):
    fund_wallet(db, world.alice, 1000)
    db.commit()
    fee = charge(client, world, world.alice, 300).get_json()["id"]
    waived = client.post(f"/v1/fees/{fee}/waive", json={"reason": "prima volta"}, headers=world.idem(world.librarian))
    assert waived.status_code == 200
    before, waiver = money_state(db), _waiver(db, fee)
    assert waiver[0] == FeeState.WAIVED

    paid = pay(client, world, world.alice, [fee])
    assert paid.status_code == 409 and paid.get_json()["error"]["code"] == "fee_not_outstanding"
    again = client.post(f"/v1/fees/{fee}/waive", json={"reason": "ancora"}, headers=world.idem(world.admin))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "fee_already_waived"
    assert money_state(db) == before
    assert _waiver(db, fee) == waiver


def test_the_database_refuses_a_fee_state_outside_the_enum(client, db, world):
    fee = charge(client, world, world.alice, 300).get_json()["id"]
    db.rollback()
    with pytest.raises(IntegrityError):
        db.execute(update(Fee).where(Fee.public_id == fee).values(status="disputed"))
    db.rollback()
    assert db.scalar(select(Fee.status).where(Fee.public_id == fee)) == FeeState.OUTSTANDING
    db.rollback()
