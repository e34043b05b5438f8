"""Card donation money the provider takes back: refunds made at Stripe and disputes, booked through the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.campaigns import closing
from backend.campaigns.models import Campaign, Donation
from backend.db import utcnow
from backend.i18n import ROME
from backend.ledger.models import JournalEntry, LedgerAccount
from backend.ledger.services import account_balance
from backend.notify.models import Notification
from tests.campaigns.helpers import assert_audit_clean, auth, fund_balance, make_campaign, make_world
from tests.campaigns.test_card_donations import _deliver, _start
from tests.support.factories import make_staff
from tests.support.threads import race

CF = "RSSMRA85T10A562S"


def _paid(client, db, stripe_fake, world, campaign, amount=2500, **body):
    patron = world.patrons[0]
    started, intent_id = _start(client, db, patron, campaign, amount, **body)
    assert (
        _deliver(client, "payment_intent.succeeded", stripe_fake.pay(intent_id)).json["outcome"] == "donation_credited"
    )
    return started["donation"]["id"], intent_id


def _raised(client, campaign) -> int:
    return client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]["raised"]["amount"]


def _refund(intent_id, total):
    return {"id": "ch_" + intent_id[3:], "object": "charge", "payment_intent": intent_id, "amount_refunded": total}


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


def _staff_notes(db, kind) -> int:
    db.rollback()
    out = db.scalar(select(func.count()).select_from(Notification).where(Notification.kind == kind))
    db.commit()
    return out


def _summary(client, patron):
    year = utcnow().astimezone(ROME).year
    return client.get(f"/v1/campaigns/donations/summary?year={year}", headers=auth(patron)).json


def _art_bonus_report(client, world):
    now = utcnow().astimezone(ROME)
    return client.get(
        f"/v1/campaigns/manage/art-bonus-report?library_id={world.library.public_id}&year={now.year}&month={now.month}",
        headers=auth(world.librarian),
    ).json


def test_a_refund_made_at_the_provider_reverses_the_donation_and_its_art_bonus(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    make_staff(db, "finance", world.network)
    db.commit()
    campaign = make_campaign(db, world, art_bonus=True)
    patron = world.patrons[0]
    donation_id, intent_id = _paid(client, db, stripe_fake, world, campaign, art_bonus=True, tax_code=CF)
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (2500, 2500)

    partial = _deliver(client, "charge.refunded", _refund(intent_id, 1000), "evt_r1")
    assert partial.json["outcome"] == "donation_refund_booked"
    assert _deliver(client, "charge.refunded", _refund(intent_id, 1000), "evt_r1").json["outcome"] == "duplicate"
    # Another event carrying the same cumulative amount books nothing more.
    assert _deliver(client, "charge.refunded", _refund(intent_id, 1000), "evt_r2").json["outcome"] == "already_booked"
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (1500, 1500)
    shown = client.get(f"/v1/campaigns/donations/{donation_id}", headers=auth(patron)).json
    assert shown["art_bonus_eligible"] == {"amount": 1500, "currency": "EUR"}
    summary = _summary(client, patron)
    assert (summary["total"]["amount"], summary["art_bonus_eligible"]["amount"]) == (1500, 1500)
    assert _art_bonus_report(client, world)["total_eligible"]["amount"] == 1500
    receipt = client.get(f"/v1/campaigns/donations/{donation_id}/receipt", headers=auth(patron))
    assert "Restituito al donatore" in receipt.get_data(as_text=True)
    # The network's finance and admin staff are told, once per booking; the donor too.
    assert _staff_notes(db, "donation_card_refunded") == 2
    assert _staff_notes(db, "refund_processed") == 1

    rest = _deliver(client, "charge.refunded", _refund(intent_id, 2500), "evt_r3")
    assert rest.json["outcome"] == "donation_refund_booked"
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (0, 0)
    assert _summary(client, patron)["donations"] == []  # nothing left to declare
    assert _art_bonus_report(client, world)["donations"] == []
    assert_audit_clean(db)


def test_a_dispute_takes_the_money_back_and_a_won_dispute_returns_it(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world, art_bonus=True)
    donation_id, intent_id = _paid(client, db, stripe_fake, world, campaign, art_bonus=True, tax_code=CF)

    opened = _deliver(client, "charge.dispute.created", _dispute(intent_id, 2500), "evt_d1")
    assert opened.json["outcome"] == "donation_dispute_booked"
    assert (
        _deliver(client, "charge.dispute.created", _dispute(intent_id, 2500), "evt_d1").json["outcome"] == "duplicate"
    )
    again = _deliver(client, "charge.dispute.created", _dispute(intent_id, 2500), "evt_d2")
    assert again.json["outcome"] == "already_booked"
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (0, 0)
    assert _art_bonus_report(client, world)["total_eligible"]["amount"] == 0
    assert _staff_notes(db, "donation_card_disputed") == 1  # the network admin

    won = _deliver(client, "charge.dispute.closed", _dispute(intent_id, 2500, status="won"), "evt_d3")
    assert won.json["outcome"] == "donation_dispute_won"
    closed_again = _deliver(client, "charge.dispute.closed", _dispute(intent_id, 2500, status="won"), "evt_d4")
    assert closed_again.json["outcome"] == "already_booked"
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (2500, 2500)
    assert _art_bonus_report(client, world)["total_eligible"]["amount"] == 2500
    assert _staff_notes(db, "donation_dispute_won") == 1
    assert_audit_clean(db)


def test_a_lost_dispute_keeps_the_money_taken_back(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    _, intent_id = _paid(client, db, stripe_fake, world, campaign, 2000)
    _deliver(client, "charge.dispute.created", _dispute(intent_id, 800, dispute_id="dp_lost"))
    lost = _deliver(client, "charge.dispute.closed", _dispute(intent_id, 800, status="lost", dispute_id="dp_lost"))
    assert lost.json["outcome"] == "dispute_lost"
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (1200, 1200)
    assert_audit_clean(db)


def test_after_the_campaign_settled_the_money_comes_out_of_the_owners_income(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world, goal=1000)
    _, intent_id = _paid(client, db, stripe_fake, world, campaign, 2500)
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    assert closing.close_due_campaigns(db)["settled"] == 1
    db.commit()
    income = select(LedgerAccount).where(LedgerAccount.kind == "donation_income")
    assert account_balance(db, db.scalar(income)).amount == 2500

    assert _deliver(client, "charge.dispute.created", _dispute(intent_id, 2500)).json["outcome"] == (
        "donation_dispute_booked"
    )
    db.rollback()
    assert account_balance(db, db.scalar(income)).amount == 0
    assert fund_balance(db, campaign) == 0
    _deliver(client, "charge.dispute.closed", _dispute(intent_id, 2500, status="won"))
    db.rollback()
    assert account_balance(db, db.scalar(income)).amount == 2500
    assert_audit_clean(db)


def test_a_refund_overtaking_the_success_event_credits_first_then_reverses(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    _, intent_id = _start(client, db, world.patrons[0], campaign, 2500)
    stripe_fake.pay(intent_id)  # paid at Stripe; the success event is late
    assert _deliver(client, "charge.refunded", _refund(intent_id, 2500)).json["outcome"] == "donation_refund_booked"
    db.rollback()
    donation = db.scalar(select(Donation).where(Donation.intent_id == intent_id))
    assert (donation.state, donation.refunded_amount) == ("succeeded", 2500)
    db.commit()
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (0, 0)
    assert_audit_clean(db)


def test_a_forged_dispute_changes_nothing(client, db, stripe_fake):
    from tests.topups.fake_stripe import event, signed

    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    _, intent_id = _paid(client, db, stripe_fake, world, campaign, 2500)
    db.rollback()
    entries = db.scalar(select(func.count()).select_from(JournalEntry))
    db.commit()
    payload = event("charge.dispute.created", _dispute(intent_id, 2500))
    forged = client.post("/v1/payments/webhook", data=payload, headers=signed(payload, secret="whsec_wrong"))
    assert forged.status_code == 400
    db.rollback()
    assert db.scalar(select(func.count()).select_from(JournalEntry)) == entries
    db.commit()
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (2500, 2500)


def test_a_missed_goal_refunds_to_the_card_only_what_the_provider_has_not_taken_back(client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world, goal=100_000, model="all_or_nothing")
    _, intent_id = _paid(client, db, stripe_fake, world, campaign, 2500)
    _deliver(client, "charge.refunded", _refund(intent_id, 1000))
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    closing.close_due_campaigns(db)
    db.commit()
    assert closing.send_card_refunds(db, stripe_fake_provider(client)) == 1
    db.commit()
    refunds = stripe_fake.calls_to("POST", "/v1/refunds")
    assert [r["amount"] for r in refunds] == ["1500"]
    assert fund_balance(db, campaign) == 0
    assert_audit_clean(db)


def stripe_fake_provider(client):
    from backend.topups.provider import EXTENSION

    return client.application.extensions[EXTENSION]


@pytest.mark.postgres_only
def test_one_dispute_delivered_twice_at_once_under_two_event_ids_is_booked_once(app, client, db, stripe_fake):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world)
    _, intent_id = _paid(client, db, stripe_fake, world, campaign, 2500)
    opened = [_dispute(intent_id, 2500) for _ in range(4)]
    outcomes = race(
        app,
        [
            lambda c, obj=obj, n=n: _deliver(c, "charge.dispute.created", obj, f"evt_race_{n}")
            for n, obj in enumerate(opened)
        ],
    )
    booked = [r.json.get("outcome") for r in outcomes if r.status_code == 200]
    assert booked.count("donation_dispute_booked") == 1
    # A delivery that met the other's booking answers an error: the provider delivers it again.
    assert all(r.status_code in (200, 500) for r in outcomes)
    assert (fund_balance(db, campaign), _raised(client, campaign)) == (0, 0)
    assert_audit_clean(db)
