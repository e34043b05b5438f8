"""Card donations: a PaymentIntent for the donation itself, credited once from the verified webhook."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.campaigns import closing
from backend.campaigns.models import Campaign, Donation
from backend.db import utcnow
from backend.topups.models import Topup
from tests.campaigns.helpers import assert_audit_clean, auth, donate, fund_balance, key, make_campaign, make_world
from tests.topups.fake_stripe import event, signed


def _deliver(client, type_, obj, event_id=None):
    payload = event(type_, obj, event_id)
    return client.post("/v1/payments/webhook", data=payload, headers=signed(payload))


def _start(client, db, patron, campaign, amount=2500, **body):
    response = donate(client, patron, campaign, amount, method="card", **body)
    assert response.status_code == 201, response.json
    donation_id = response.json["donation"]["id"]
    db.rollback()
    intent_id = db.scalar(select(Donation.intent_id).where(Donation.public_id == donation_id))
    db.commit()
    return response.json, intent_id


def _state(client, patron, donation_id):
    return client.get(f"/v1/campaigns/donations/{donation_id}", headers=auth(patron)).json["state"]


def test_a_card_donation_is_its_own_payment_intent_and_counts_once_paid(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world, art_bonus=True)
    patron = world.patrons[0]
    body, intent_id = _start(client, db, patron, campaign, art_bonus=True, tax_code="RSSMRA85T10A562S")
    donation_id = body["donation"]["id"]
    assert body["donation"]["state"] == "pending"
    assert body["payment_sheet"]["payment_intent_client_secret"].startswith(intent_id)
    created = stripe_fake.calls_to("POST", "/v1/payment_intents")
    assert created[0]["amount"] == "2500" and created[0]["metadata[donation_id]"] == donation_id
    assert db.scalar(select(Topup.id)) is None  # not a top-up
    db.commit()
    assert client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]["raised"]["amount"] == 0

    paid = stripe_fake.pay(intent_id)
    first = _deliver(client, "payment_intent.succeeded", paid, "evt_1")
    assert first.json["outcome"] == "donation_credited"
    assert _deliver(client, "payment_intent.succeeded", paid, "evt_1").json["outcome"] == "duplicate"
    assert _deliver(client, "payment_intent.succeeded", paid, "evt_2").json["outcome"] == "already_settled"
    # A stale failure event arriving late changes nothing (the current state is asked for).
    assert _deliver(client, "payment_intent.payment_failed", paid, "evt_3").json["outcome"] == "already_settled"
    shown = client.get(f"/v1/campaigns/donations/{donation_id}", headers=auth(patron)).json
    assert shown["state"] == "succeeded"
    assert shown["art_bonus_eligible"] == {"amount": 2500, "currency": "EUR"}  # card money: eligible in full
    assert fund_balance(db, campaign) == 2500
    assert client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]["raised"]["amount"] == 2500
    assert_audit_clean(db)


def test_failure_first_then_success_out_of_order(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    patron = world.patrons[0]
    body, intent_id = _start(client, db, patron, campaign)
    declined = stripe_fake.decline(intent_id)
    # The success is delivered before the earlier decline.
    paid = stripe_fake.pay(intent_id)
    assert _deliver(client, "payment_intent.succeeded", paid).json["outcome"] == "donation_credited"
    assert _deliver(client, "payment_intent.payment_failed", declined).json["outcome"] == "already_settled"
    assert _state(client, patron, body["donation"]["id"]) == "succeeded"
    assert fund_balance(db, campaign) == 2500


def test_a_forged_webhook_credits_nothing(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    body, intent_id = _start(client, db, world.patrons[0], campaign)
    payload = event("payment_intent.succeeded", stripe_fake.pay(intent_id))
    forged = client.post("/v1/payments/webhook", data=payload, headers=signed(payload, secret="whsec_wrong"))
    assert forged.status_code == 400
    assert _state(client, world.patrons[0], body["donation"]["id"]) == "pending"
    assert fund_balance(db, campaign) == 0


def test_card_donations_to_a_missed_all_or_nothing_go_back_to_the_card_once(app, client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world, goal=100_000, model="all_or_nothing")
    patron = world.patrons[0]
    body, intent_id = _start(client, db, patron, campaign)
    _deliver(client, "payment_intent.succeeded", stripe_fake.pay(intent_id))
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    with app.app_context():
        from backend.jobs.entries import campaigns_close as close_job

        assert close_job()["refunds_sent"] == 1
        assert close_job()["refunds_sent"] == 0
    refunds = stripe_fake.calls_to("POST", "/v1/refunds")
    assert len(refunds) == 1 and refunds[0]["payment_intent"] == intent_id and refunds[0]["amount"] == "2500"
    assert _state(client, patron, body["donation"]["id"]) == "refunded"
    assert fund_balance(db, campaign) == 0
    # Stripe's own charge.refunded event about our refund is acknowledged, not booked again.
    refunded = _deliver(client, "charge.refunded", {"id": "ch_1", "payment_intent": intent_id, "amount_refunded": 2500})
    assert refunded.json["outcome"] == "donation_refund_confirmed"
    assert_audit_clean(db)


def test_a_card_payment_confirmed_after_the_deadline_is_settled_by_the_next_run(app, client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world, goal=100)
    body, intent_id = _start(client, db, world.patrons[0], campaign, 700)
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    database = app.extensions["borsellino.db"]
    database.run_in_transaction(closing.close_due_campaigns)
    _deliver(client, "payment_intent.succeeded", stripe_fake.pay(intent_id))
    assert fund_balance(db, campaign) == 700
    assert database.run_in_transaction(closing.close_due_campaigns)["late"] == 1
    assert fund_balance(db, campaign) == 0
    assert_audit_clean(db)


def test_the_provider_down_refuses_with_503_and_keeps_nothing_charged(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    stripe_fake.fail_next = 500
    response = donate(client, world.patrons[0], campaign, 1000, method="card", headers=key())
    assert response.status_code == 503 and response.json["error"]["code"] == "payment_provider_unavailable"
    db.rollback()
    assert db.scalar(select(Donation.id)) is None
    db.commit()


def test_a_supporter_card_paid_by_card_is_issued_when_the_payment_is_confirmed(client, db, stripe_fake):
    from backend.campaigns.supporter import set_plan
    from backend.money import Money

    world = make_world(db, patrons=1, funds=0)
    set_plan(db, world.network, Money(1000), True)
    db.commit()
    patron = world.patrons[0]
    started = client.post(
        "/v1/campaigns/supporter-cards",
        json={"network_id": world.network.public_id, "method": "card"},
        headers={**auth(patron), **key()},
    )
    assert started.status_code == 201, started.json
    assert started.json["card"] is None and started.json["donation"]["state"] == "pending"
    db.rollback()
    intent_id = db.scalar(select(Donation.intent_id))
    db.commit()
    assert (
        _deliver(client, "payment_intent.succeeded", stripe_fake.pay(intent_id)).json["outcome"] == "donation_credited"
    )
    cards = client.get("/v1/campaigns/supporter-cards", headers=auth(patron)).json["data"]
    assert len(cards) == 1 and cards[0]["valid_now"] is True
    assert_audit_clean(db)


def test_the_settle_job_asks_the_provider_when_the_webhook_never_came(app, client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    body, intent_id = _start(client, db, world.patrons[0], campaign, 900)
    stripe_fake.pay(intent_id)  # paid, but the event is lost
    db.execute(
        update(Donation).where(Donation.intent_id == intent_id).values(created_at=utcnow() - timedelta(minutes=30))
    )
    db.commit()
    with app.app_context():
        from backend.jobs.entries import campaigns_settle_card_donations as settle_card_donations_job

        assert settle_card_donations_job()["credited"] == 1
        assert settle_card_donations_job()["credited"] == 0
    assert _state(client, world.patrons[0], body["donation"]["id"]) == "succeeded"
    assert fund_balance(db, campaign) == 900
