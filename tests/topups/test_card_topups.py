"""Card top-ups through Stripe (intercepted at the library's HTTP seam) and its signed webhooks."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import func, select

from backend.ledger.models import FundingLot, JournalEntry
from backend.notify.models import Notification
from backend.topups.models import Topup
from tests.support.factories import bearer, make_patron


def _count(db, model):
    db.rollback()
    count = db.scalar(select(func.count()).select_from(model))
    db.rollback()
    return count


def test_start_creates_our_record_then_one_intent_carrying_our_id(api, patron):
    response = api.start(patron, 2500)
    assert response.status_code == 201
    body = response.json
    assert body["topup"]["status"] == "pending"
    assert body["topup"]["amount"] == {"amount": 2500, "currency": "EUR"}
    sheet = body["payment_sheet"]
    assert sheet["publishable_key"] == "pk_test_123"
    assert sheet["payment_intent_client_secret"].startswith("pi_")
    assert sheet["customer_id"].startswith("cus_")
    assert sheet["customer_session_client_secret"].startswith("cuss_secret_")
    [sent] = api.fake.calls_to("POST", "/v1/payment_intents")
    assert sent["metadata[topup_id]"] == body["topup"]["id"]
    assert sent["amount"] == "2500" and sent["currency"] == "eur"
    assert api.balance(patron) == 0  # only a webhook credits


def test_two_identical_requests_create_one_payment_intent(api, patron):
    key = str(uuid.uuid4())
    first, second = api.start(patron, 2000, key=key), api.start(patron, 2000, key=key)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json == first.json
    assert len(api.fake.calls_to("POST", "/v1/payment_intents")) == 1
    assert _count(api.db, Topup) == 1


def test_amounts_outside_the_rules_are_refused_and_nothing_is_created(api, patron):
    too_small = api.start(patron, 499)
    assert too_small.status_code == 422 and too_small.json["error"]["code"] == "topup_amount_out_of_range"
    too_big = api.start(patron, 50_001)
    assert too_big.status_code == 422
    not_int = api.client.post(
        "/v1/wallet/topups",
        json={"amount": {"amount": 12.5, "currency": "EUR"}},
        headers={**bearer(patron), "Idempotency-Key": "k1"},
    )
    assert not_int.status_code == 400 and not_int.json["error"]["param"] == "amount.amount"
    dollars = api.start(patron, 2000, currency="USD")
    assert dollars.status_code == 400
    no_key = api.client.post(
        "/v1/wallet/topups", json={"amount": {"amount": 2000, "currency": "EUR"}}, headers=bearer(patron)
    )
    assert no_key.status_code == 400
    assert _count(api.db, Topup) == 0
    assert api.fake.calls_to("POST", "/v1/payment_intents") == []


def test_wallet_maximum_is_enforced(api, db, patron):
    from tests.support.ledger import fund_wallet

    fund_wallet(db, patron, 99_000)
    db.commit()
    refused = api.start(patron, 2000)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "wallet_limit_exceeded"
    assert refused.json["error"]["room"] == {"amount": 1000, "currency": "EUR"}
    assert _count(db, Topup) == 0


def test_succeeded_webhook_credits_once_however_often_it_comes(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    paid = api.fake.pay(intent_id)
    first = api.deliver("payment_intent.succeeded", paid, event_id="evt_1")
    assert first.status_code == 200 and first.json["outcome"] == "credited"
    again = api.deliver("payment_intent.succeeded", paid, event_id="evt_1")
    assert again.json["outcome"] == "duplicate"
    other_id = api.deliver("payment_intent.succeeded", paid, event_id="evt_2")
    assert other_id.json["outcome"] == "already_settled"
    assert api.balance(patron) == 2000
    status = api.status(patron, topup_id)
    assert status["status"] == "succeeded" and status["receipt_id"].startswith("rcp_")
    lot = api.db.scalar(select(FundingLot))
    assert (lot.source, lot.provider_ref, lot.amount) == ("card", intent_id, 2000)
    kinds = api.db.scalars(select(Notification.kind)).all()
    api.db.rollback()
    assert kinds.count("topup_succeeded") == 1
    api.audit_clean()


def test_forged_stale_and_future_signatures_are_refused_and_change_nothing(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    paid = api.fake.pay(intent_id)
    forged = api.deliver("payment_intent.succeeded", paid, secret="whsec_not_ours")
    stale = api.deliver("payment_intent.succeeded", paid, timestamp=int(time.time()) - 301)
    future = api.deliver("payment_intent.succeeded", paid, timestamp=int(time.time()) + 301)
    unsigned = api.client.post("/v1/payments/webhook", data="{}", headers={"Content-Type": "application/json"})
    for response in (forged, stale, future, unsigned):
        assert response.status_code == 400
        assert response.json["error"]["code"] == "invalid_webhook"
    assert api.balance(patron) == 0
    assert api.status(patron, topup_id)["status"] == "pending"
    assert _count(api.db, JournalEntry) == 0


def test_a_late_failure_event_does_not_undo_a_success(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    declined = api.fake.decline(intent_id)  # first attempt declined…
    paid = api.fake.pay(intent_id)  # …the patron retried with another card
    api.deliver("payment_intent.succeeded", paid)
    late = api.deliver("payment_intent.payment_failed", declined)
    assert late.json["outcome"] == "already_settled"
    assert api.status(patron, topup_id)["status"] == "succeeded"
    assert api.balance(patron) == 2000
    api.audit_clean()


def test_a_stale_failure_event_arriving_first_is_checked_with_stripe(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    declined = api.fake.decline(intent_id)
    paid = api.fake.pay(intent_id)
    # The failure event comes first, but Stripe says the intent has succeeded since.
    early = api.deliver("payment_intent.payment_failed", declined)
    assert early.json["outcome"] == "credited"
    assert api.fake.calls_to("GET", f"/v1/payment_intents/{intent_id}")
    then = api.deliver("payment_intent.succeeded", paid)
    assert then.json["outcome"] == "already_settled"
    assert api.balance(patron) == 2000
    api.audit_clean()


def test_declined_then_canceled(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    assert api.deliver("payment_intent.payment_failed", api.fake.decline(intent_id)).json["outcome"] == "marked_failed"
    assert api.status(patron, topup_id)["status"] == "failed"
    assert api.status(patron, topup_id)["failure_code"] == "card_declined"
    assert api.deliver("payment_intent.canceled", api.fake.cancel(intent_id)).json["outcome"] == "canceled"
    assert api.status(patron, topup_id)["status"] == "canceled"
    assert api.balance(patron) == 0
    kinds = api.db.scalars(select(Notification.kind)).all()
    api.db.rollback()
    assert kinds == ["topup_failed"]


def test_amount_mismatch_credits_nothing(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    paid = api.fake.pay(intent_id, amount=200)
    response = api.deliver("payment_intent.succeeded", paid)
    assert response.json["outcome"] == "amount_mismatch"
    assert api.status(patron, topup_id)["status"] == "amount_mismatch"
    assert api.balance(patron) == 0
    api.audit_clean()


def test_a_missed_webhook_is_settled_by_the_job(api, patron):
    topup_id, intent_id = api.started(patron, 2000)
    young_id, young_intent = api.started(patron, 1000)
    api.fake.pay(intent_id)
    api.fake.pay(young_intent)
    api.backdate(topup_id)
    result = _settle(api)
    assert result == {"credited": 1}
    assert api.status(patron, topup_id)["status"] == "succeeded"
    assert api.status(patron, young_id)["status"] == "pending"  # its webhook may still come
    # The webhook turns up after all: nothing more happens.
    assert api.deliver("payment_intent.succeeded", api.fake.intents[intent_id]).json["outcome"] == "already_settled"
    assert api.balance(patron) == 2000
    api.audit_clean()


def _settle(api):
    from flask import current_app

    from backend.topups.jobs import settle
    from backend.topups.provider import get_provider

    return settle(current_app.extensions["borsellino.db"], get_provider(current_app))


def test_other_patrons_top_ups_are_not_found(api, db, patron):
    topup_id, _ = api.started(patron, 2000)
    stranger = make_patron(db, patron.home_network)
    db.commit()
    assert api.client.get(f"/v1/wallet/topups/{topup_id}", headers=bearer(stranger)).status_code == 404
    assert api.client.get(f"/v1/wallet/topups/{topup_id}/receipt", headers=bearer(stranger)).status_code == 404
    assert api.client.get("/v1/wallet/topups", headers=bearer(stranger)).json["data"] == []
