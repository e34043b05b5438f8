"""Card money going back: refunds the patron asks for, refunds made at Stripe, disputes."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.ledger.models import LedgerAccount
from backend.ledger.services import account_balance, credit, debit, house_account, post_entry, wallet_of
from backend.money import Money
from backend.notify.models import Notification
from backend.topups.models import CardRefund, Topup
from tests.support.factories import bearer


def _paid_topup(api, patron, cents):
    topup_id, intent_id = api.started(patron, cents)
    assert api.deliver("payment_intent.succeeded", api.fake.pay(intent_id)).json["outcome"] == "credited"
    return topup_id, intent_id


def _spend(db, patron, cents):
    """The patron pays a library fee from the wallet."""
    db.rollback()
    wallet = wallet_of(db, patron)
    income = house_account(db, "fee_income", "test-library")
    post_entry(
        db, kind="fee_payment", legs=[debit(wallet, Money(cents)), credit(income, Money(cents))], memo="overdue fee"
    )
    db.commit()


def _ask_refund(api, patron, cents, key=None):
    return api.client.post(
        "/v1/wallet/refunds",
        json={"amount": {"amount": cents, "currency": "EUR"}},
        headers={**bearer(patron), "Idempotency-Key": key or str(uuid.uuid4())},
    )


def _refundable(api, patron):
    return api.client.get("/v1/wallet/refunds/refundable", headers=bearer(patron)).json["refundable_to_card"]["amount"]


def _chargebacks(db):
    db.rollback()
    account = db.scalar(select(LedgerAccount).where(LedgerAccount.kind == "chargebacks"))
    balance = account_balance(db, account).amount if account else 0
    db.rollback()
    return balance


def _notifications(db, kind):
    db.rollback()
    found = db.scalars(select(Notification).where(Notification.kind == kind)).all()
    db.rollback()
    return found


def _charge(intent_id, amount, refunded):
    return {
        "id": "ch_" + intent_id[3:],
        "object": "charge",
        "payment_intent": intent_id,
        "amount": amount,
        "amount_refunded": refunded,
        "refunded": refunded == amount,
        "metadata": {},
    }


def _dispute(intent_id, amount, status="needs_response", dispute_id="dp_1"):
    return {
        "id": dispute_id,
        "object": "dispute",
        "charge": "ch_" + intent_id[3:],
        "payment_intent": intent_id,
        "amount": amount,
        "currency": "eur",
        "status": status,
    }


# --- refunds asked in the app ----------------------------------------------------


def test_unused_card_balance_goes_back_to_each_card_payment_it_came_from(api, patron):
    first, first_intent = _paid_topup(api, patron, 2000)
    _, second_intent = _paid_topup(api, patron, 1500)
    _spend(api.db, patron, 500)  # spends the oldest card money first
    assert _refundable(api, patron) == 3000

    response = _ask_refund(api, patron, 2500)
    assert response.status_code == 201, response.json
    assert response.json["amount"] == {"amount": 2500, "currency": "EUR"}
    assert [(p["topup_id"], p["amount"]["amount"]) for p in response.json["parts"]] == [(first, 1500), (_, 1000)]
    # Sent to Stripe right after the commit, one refund per original payment, each with its own key.
    sent = api.fake.calls_to("POST", "/v1/refunds")
    assert [(s["payment_intent"], s["amount"]) for s in sent] == [(first_intent, "1500"), (second_intent, "1000")]
    now = api.client.get(f"/v1/wallet/refunds/{response.json['id']}", headers=bearer(patron)).json
    assert now["status"] == "succeeded" and {p["status"] for p in now["parts"]} == {"succeeded"}
    assert api.balance(patron) == 500
    assert _refundable(api, patron) == 500
    assert len(_notifications(api.db, "refund_processed")) == 2
    # Stripe then reports its refunds: they are ours, already booked, nothing moves again.
    for intent_id, amount, refunded in ((first_intent, 2000, 1500), (second_intent, 1500, 1000)):
        outcome = api.deliver("charge.refunded", _charge(intent_id, amount, refunded)).json["outcome"]
        assert outcome == "already_booked"
    assert api.balance(patron) == 500
    api.audit_clean()


def test_more_than_the_card_funded_balance_is_refused_and_nothing_moves(api, db, patron):
    from tests.support.ledger import fund_wallet

    _paid_topup(api, patron, 1000)
    db.rollback()
    fund_wallet(db, patron, 3000, source="cash")
    db.commit()
    refused = _ask_refund(api, patron, 1500)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "nothing_to_refund"
    assert refused.json["error"]["refundable"] == {"amount": 1000, "currency": "EUR"}
    assert api.balance(patron) == 4000
    assert api.fake.calls_to("POST", "/v1/refunds") == []
    db.rollback()
    assert db.scalars(select(CardRefund)).all() == []
    db.rollback()


def test_a_refund_refused_by_stripe_puts_the_money_back_in_the_wallet(api, patron):
    topup_id, _ = _paid_topup(api, patron, 2000)
    api.fake.refuse_refunds = True
    response = _ask_refund(api, patron, 1200)
    assert response.status_code == 201
    now = api.client.get(f"/v1/wallet/refunds/{response.json['id']}", headers=bearer(patron)).json
    assert now["status"] == "failed"
    assert api.balance(patron) == 2000
    # The money is card money again, refundable again.
    assert _refundable(api, patron) == 2000
    api.db.rollback()
    assert api.db.scalar(select(Topup.refunded_amount).where(Topup.public_id == topup_id)) == 0
    api.db.rollback()
    assert _notifications(api.db, "refund_processed") == []
    api.audit_clean()


def test_a_refund_stripe_could_not_answer_is_sent_again_by_the_settle_job(api, patron):
    from tests.topups.test_card_topups import _settle

    _, intent_id = _paid_topup(api, patron, 2000)
    api.fake.fail_next = 500
    response = _ask_refund(api, patron, 2000)
    assert response.status_code == 201
    assert (
        api.client.get(f"/v1/wallet/refunds/{response.json['id']}", headers=bearer(patron)).json["status"] == "pending"
    )
    assert api.balance(patron) == 0  # reserved for the refund: can't be spent meanwhile
    assert _settle(api) == {"refund_refunded": 1}
    assert (
        api.client.get(f"/v1/wallet/refunds/{response.json['id']}", headers=bearer(patron)).json["status"]
        == "succeeded"
    )
    # The same idempotency key both times: Stripe refunds once.
    keys = {params["metadata[refund_id]"] for params in api.fake.calls_to("POST", "/v1/refunds")}
    assert len(keys) == 1 and len(api.fake.refunds) == 1
    assert api.balance(patron) == 0
    api.audit_clean()


# --- money Stripe takes back ---------------------------------------------------------


def test_a_refund_made_in_the_stripe_dashboard_takes_the_money_back_once(api, patron):
    topup_id, intent_id = _paid_topup(api, patron, 2000)
    first = api.deliver("charge.refunded", _charge(intent_id, 2000, 500), event_id="evt_r1")
    assert first.json["outcome"] == "refund_booked"
    assert api.balance(patron) == 1500
    assert (
        api.deliver("charge.refunded", _charge(intent_id, 2000, 500), event_id="evt_r1").json["outcome"] == "duplicate"
    )
    # A second dashboard refund: the event carries the cumulative amount; only the new part moves.
    assert api.deliver("charge.refunded", _charge(intent_id, 2000, 800)).json["outcome"] == "refund_booked"
    assert api.balance(patron) == 1200
    assert _refundable(api, patron) == 1200
    assert len(_notifications(api.db, "refund_processed")) == 2
    assert _chargebacks(api.db) == 0
    api.audit_clean()


def test_a_dashboard_refund_after_the_money_was_spent_never_makes_the_wallet_negative(api, patron):
    _, intent_id = _paid_topup(api, patron, 2000)
    _spend(api.db, patron, 1800)
    assert api.deliver("charge.refunded", _charge(intent_id, 2000, 2000)).json["outcome"] == "refund_booked"
    assert api.balance(patron) == 0
    assert _chargebacks(api.db) == 1800
    api.audit_clean()


def test_a_dispute_after_the_money_was_spent_takes_what_is_left_and_books_the_rest_to_chargebacks(api, patron):
    topup_id, intent_id = _paid_topup(api, patron, 2000)
    _spend(api.db, patron, 1500)
    opened = api.deliver("charge.dispute.created", _dispute(intent_id, 2000), event_id="evt_d1")
    assert opened.json["outcome"] == "dispute_booked"
    assert api.balance(patron) == 0
    assert _chargebacks(api.db) == 1500
    assert (
        api.deliver("charge.dispute.created", _dispute(intent_id, 2000), event_id="evt_d1").json["outcome"]
        == "duplicate"
    )
    assert api.balance(patron) == 0 and _chargebacks(api.db) == 1500
    # Disputed money can no longer be refunded to the card.
    assert _refundable(api, patron) == 0
    api.audit_clean()


def test_a_dispute_overtaking_the_success_event_settles_the_payment_first(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    api.fake.pay(intent_id)
    assert api.deliver("charge.dispute.created", _dispute(intent_id, 2000)).json["outcome"] == "dispute_booked"
    assert api.status(patron, topup_id)["status"] == "succeeded"
    assert api.balance(patron) == 0
    assert _chargebacks(api.db) == 0
    # The late success event changes nothing.
    assert api.deliver("payment_intent.succeeded", api.fake.intents[intent_id]).json["outcome"] == "already_settled"
    assert api.balance(patron) == 0
    api.audit_clean()


def test_a_dispute_won_gives_back_what_was_taken_and_a_lost_one_changes_nothing(api, patron):
    _, intent_id = _paid_topup(api, patron, 2000)
    _spend(api.db, patron, 500)
    api.deliver("charge.dispute.created", _dispute(intent_id, 2000, dispute_id="dp_won"))
    assert api.balance(patron) == 0 and _chargebacks(api.db) == 500
    won = api.deliver("charge.dispute.closed", _dispute(intent_id, 2000, status="won", dispute_id="dp_won"))
    assert won.json["outcome"] == "dispute_won"
    assert api.balance(patron) == 1500 and _chargebacks(api.db) == 0
    assert _refundable(api, patron) == 1500  # card money again, refundable to that card
    again = api.deliver("charge.dispute.closed", _dispute(intent_id, 2000, status="won", dispute_id="dp_won"))
    assert again.json["outcome"] == "already_booked"
    assert api.balance(patron) == 1500
    api.audit_clean()

    _, other_intent = _paid_topup(api, patron, 1000)
    api.deliver("charge.dispute.created", _dispute(other_intent, 1000, dispute_id="dp_lost"))
    lost = api.deliver("charge.dispute.closed", _dispute(other_intent, 1000, status="lost", dispute_id="dp_lost"))
    assert lost.json["outcome"] == "dispute_lost"
    assert api.balance(patron) == 1500
    api.audit_clean()


def test_a_dispute_takes_back_that_payment_s_own_money_and_tells_the_patron(api, patron):
    _, first_intent = _paid_topup(api, patron, 2000)
    _, second_intent = _paid_topup(api, patron, 1000)
    assert api.deliver("charge.dispute.created", _dispute(second_intent, 1000)).json["outcome"] == "dispute_booked"
    assert api.balance(patron) == 2000
    # The first payment's money is untouched, so all of it can still go back to its card.
    assert _refundable(api, patron) == 2000
    refund = _ask_refund(api, patron, 2000)
    assert refund.status_code == 201, refund.json
    assert [call["payment_intent"] for call in api.fake.calls_to("POST", "/v1/refunds")] == [first_intent]
    [notice] = _notifications(api.db, "card_disputed")
    assert "10,00\xa0€" in notice.body
    api.audit_clean()


def test_my_refunds_are_listed_newest_first_with_their_parts(api, patron, db):
    from tests.support.factories import make_library, make_network, make_patron

    _paid_topup(api, patron, 3000)
    first = _ask_refund(api, patron, 1000)
    second = _ask_refund(api, patron, 500)
    assert first.status_code == 201 and second.status_code == 201
    listed = api.client.get("/v1/wallet/refunds?limit=1", headers=bearer(patron)).json
    assert [r["id"] for r in listed["data"]] == [second.json["id"]] and listed["has_more"] is True
    older = api.client.get(f"/v1/wallet/refunds?starting_after={listed['next_cursor']}", headers=bearer(patron)).json
    assert [(r["id"], r["amount"]["amount"]) for r in older["data"]] == [(first.json["id"], 1000)]
    assert [p["id"] for p in older["data"][0]["parts"]] == [p["id"] for p in first.json["parts"]]
    network = make_network(db)
    stranger = make_patron(db, network, make_library(db, network))
    db.commit()
    assert api.client.get("/v1/wallet/refunds", headers=bearer(stranger)).json["data"] == []


def test_a_dispute_told_twice_takes_the_money_once_and_a_win_reverses_that_dispute_only(api, patron):
    topup_id, intent_id = _paid_topup(api, patron, 2000)
    first = api.deliver("charge.dispute.created", _dispute(intent_id, 500, dispute_id="dp_a"))
    assert first.json["outcome"] == "dispute_booked"
    # The same dispute in another event (the provider's dispute id is what identifies it).
    again = api.deliver("charge.dispute.created", _dispute(intent_id, 500, dispute_id="dp_a"))
    assert again.json["outcome"] == "already_booked"
    assert api.balance(patron) == 1500
    assert api.deliver("charge.dispute.created", _dispute(intent_id, 300, dispute_id="dp_b")).json["outcome"] == (
        "dispute_booked"
    )
    assert api.balance(patron) == 1200

    won = api.deliver("charge.dispute.closed", _dispute(intent_id, 300, status="won", dispute_id="dp_b"))
    assert won.json["outcome"] == "dispute_won"
    assert api.balance(patron) == 1500
    api.db.rollback()
    assert api.db.scalar(select(Topup.disputed_amount).where(Topup.public_id == topup_id)) == 500
    api.db.rollback()
    unknown = api.deliver("charge.dispute.closed", _dispute(intent_id, 300, status="won", dispute_id="dp_c"))
    assert unknown.json["outcome"] == "unknown_dispute"
    assert api.balance(patron) == 1500
    api.audit_clean()
