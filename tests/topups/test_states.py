"""Top-up and refund states: only the moves their tables list happen, whatever the provider says."""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backend.notify.models import Notification
from backend.topups.models import (
    OPEN_TOPUP_STATES,
    REFUND_TRANSITIONS,
    TOPUP_TRANSITIONS,
    CardRefund,
    RefundState,
    Topup,
    TopupState,
)
from backend.topups.refunds import _accepted, _refused
from tests.topups.test_refunds_and_disputes import _ask_refund, _notifications, _paid_topup


def _kinds(db):
    db.rollback()
    kinds = db.scalars(select(Notification.kind)).all()
    db.rollback()
    return kinds


def test_the_tables_end_where_the_money_is_settled():
    for final in (TopupState.SUCCEEDED, TopupState.CANCELED, TopupState.AMOUNT_MISMATCH):
        assert TOPUP_TRANSITIONS.is_final(final)
    assert set(OPEN_TOPUP_STATES) == {TopupState.PENDING, TopupState.FAILED}
    # A decline is recorded once: a failed top-up is not failed again.
    assert TOPUP_TRANSITIONS.sources_of(TopupState.FAILED) == (TopupState.PENDING,)
    assert REFUND_TRANSITIONS.sources_of(RefundState.SUCCEEDED) == (RefundState.PENDING,)
    assert REFUND_TRANSITIONS.is_final(RefundState.FAILED) and REFUND_TRANSITIONS.is_final(RefundState.SUCCEEDED)


def test_a_canceled_top_up_is_never_credited_by_a_later_success(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    assert api.deliver("payment_intent.canceled", api.fake.cancel(intent_id)).json["outcome"] == "canceled"
    assert api.status(patron, topup_id)["status"] == "canceled"

    late = api.deliver("payment_intent.succeeded", api.fake.pay(intent_id))
    assert late.status_code == 200 and late.json["outcome"] == "already_settled"
    assert api.status(patron, topup_id)["status"] == "canceled"
    assert api.balance(patron) == 0
    assert "topup_succeeded" not in _kinds(api.db)
    api.audit_clean()


def test_an_amount_mismatch_stays_for_finance_when_the_right_amount_is_reported_later(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    assert api.deliver("payment_intent.succeeded", api.fake.pay(intent_id, amount=200)).json["outcome"] == (
        "amount_mismatch"
    )
    later = api.deliver("payment_intent.succeeded", api.fake.pay(intent_id, amount=2000))
    assert later.json["outcome"] == "already_settled"
    assert api.status(patron, topup_id)["status"] == "amount_mismatch"
    assert api.balance(patron) == 0
    api.audit_clean()


def test_a_second_decline_leaves_the_failed_top_up_as_it_was_and_tells_the_patron_once(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    assert api.deliver("payment_intent.payment_failed", api.fake.decline(intent_id)).json["outcome"] == "marked_failed"
    before = api.status(patron, topup_id)

    again = api.deliver("payment_intent.payment_failed", api.fake.decline(intent_id))
    assert again.json["outcome"] == "unchanged"
    assert api.status(patron, topup_id) == before
    assert _kinds(api.db).count("topup_failed") == 1


def test_a_succeeded_refund_is_not_refused_afterwards_and_a_refused_one_does_not_succeed(api, patron):
    database = current_app.extensions["borsellino.db"]
    _paid_topup(api, patron, 2000)
    done = _ask_refund(api, patron, 500)
    assert done.status_code == 201
    api.fake.refuse_refunds = True
    refused = _ask_refund(api, patron, 700)
    assert refused.status_code == 201
    api.db.rollback()
    done_id, refused_id = (
        api.db.scalar(select(CardRefund.id).where(CardRefund.request_id == r.json["id"])) for r in (done, refused)
    )
    api.db.rollback()
    assert api.balance(patron) == 1500
    notified = len(_notifications(api.db, "refund_processed"))

    assert database.run_in_transaction(lambda s: _refused(s, done_id, "late refusal")) == "not_pending"
    assert database.run_in_transaction(lambda s: _accepted(s, refused_id, "re_late")) == "not_pending"

    api.db.rollback()
    states = dict(api.db.execute(select(CardRefund.id, CardRefund.status)).all())
    api.db.rollback()
    assert states == {done_id: RefundState.SUCCEEDED, refused_id: RefundState.FAILED}
    assert api.balance(patron) == 1500  # the succeeded refund's money was not given back a second time
    assert len(_notifications(api.db, "refund_processed")) == notified
    api.audit_clean()


@pytest.mark.parametrize("model", [Topup, CardRefund])
def test_the_database_refuses_a_state_outside_the_enum(api, patron, model):
    _paid_topup(api, patron, 2000)
    assert _ask_refund(api, patron, 500).status_code == 201
    api.db.rollback()
    with pytest.raises(IntegrityError):
        api.db.execute(update(model).values(status="refunded"))
        api.db.flush()
    api.db.rollback()
    assert set(api.db.scalars(select(model.status))) == {"succeeded"}
    api.db.rollback()
