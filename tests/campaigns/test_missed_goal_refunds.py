"""A card donation to a missed all-or-nothing goal goes back to the card: from the deadline on it is
given back everywhere the donor, the owner and finance read it, also while the provider has not paid."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from backend.campaigns import receipts
from backend.campaigns.models import Campaign, Donation
from backend.db import utcnow
from backend.i18n import ROME
from backend.ledger.periods import month_of
from tests.campaigns.helpers import assert_audit_clean, auth, balance, donate, fund_balance, make_campaign, make_world
from tests.campaigns.test_card_donations import _deliver, _start
from tests.support.factories import make_staff

CF = "RSSMRA85T10A562S"


def _close_job(app) -> dict:
    with app.app_context():
        from backend.jobs.entries import campaigns_close

        return campaigns_close()


def _documents(client, world, patron, donation_id, finance) -> dict:
    """Everything that says how much the donation gives: the donor's, the owner's and finance's views."""
    now = utcnow().astimezone(ROME)
    shown = client.get(f"/v1/campaigns/donations/{donation_id}", headers=auth(patron)).json
    summary = client.get(f"/v1/campaigns/donations/summary?year={now.year}", headers=auth(patron)).json
    report = client.get(
        f"/v1/campaigns/manage/art-bonus-report?library_id={world.library.public_id}&year={now.year}&month={now.month}",
        headers=auth(world.librarian),
    ).json
    totals = client.get(f"/v1/finance/reports/{month_of(utcnow())}/art_bonus", headers=auth(finance)).json
    return {
        "state": shown["state"],
        "eligible": shown["art_bonus_eligible"]["amount"],
        "summary": (summary["total"]["amount"], summary["art_bonus_eligible"]["amount"], len(summary["donations"])),
        "report": (report["total"]["amount"], report["total_eligible"]["amount"], len(report["donations"])),
        "finance": totals["rows"],
    }


def _receipt(client, patron, donation_id, lang="it") -> str:
    response = client.get(f"/v1/campaigns/donations/{donation_id}/receipt?lang={lang}", headers=auth(patron))
    assert response.status_code == 200, response.json
    return response.get_data(as_text=True)


def _row(html: str, label: str) -> str | None:
    found = re.search(re.escape(label) + r"</th><td>([^<]*)</td>", html.replace("&#39;", "'"))
    return found.group(1) if found else None


def test_a_card_donation_refunded_at_a_missed_goal_is_no_longer_counted_as_given(app, client, db, stripe_fake):
    world = make_world(db, patrons=2, funds=5000)
    finance = make_staff(db, "finance", world.network)
    db.commit()
    campaign = make_campaign(db, world, goal=100_000, model="all_or_nothing", art_bonus=True)
    donor, pledger = world.patrons
    started, intent_id = _start(client, db, donor, campaign, 2500, art_bonus=True, tax_code=CF)
    donation_id = started["donation"]["id"]
    paid = _deliver(client, "payment_intent.succeeded", stripe_fake.pay(intent_id))
    assert paid.json["outcome"] == "donation_credited"
    assert donate(client, pledger, campaign, 1000).json["donation"]["state"] == "pledged"
    app.extensions["borsellino.db"].run_in_transaction(receipts.issue_pending_receipts)
    library = world.library.name
    before = _documents(client, world, donor, donation_id, finance)
    assert before == {
        "state": "succeeded",
        "eligible": 2500,
        "summary": (2500, 2500, 1),
        "report": (2500, 2500, 1),
        "finance": [[library, 1, 2500, 2500]],
    }
    progress = client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]
    assert (progress["raised"]["amount"], progress["donors"]) == (3500, 2)

    # The deadline passes with the goal missed; the provider is down when the job asks for the refund.
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    stripe_fake.fail_next = 500
    assert _close_job(app) == {"settled": 1, "late": 0, "refunds_sent": 0}
    pending = _documents(client, world, donor, donation_id, finance)
    assert pending == {
        "state": "refund_pending",
        "eligible": 0,
        "summary": (0, 0, 0),
        "report": (0, 0, 0),
        "finance": [],
    }
    html = _receipt(client, donor, donation_id)
    assert _row(html, "Importo") == "25,00\xa0€"
    assert _row(html, "In restituzione al donatore (obiettivo non raggiunto: rimborso sulla carta in corso)") == (
        "25,00\xa0€"
    )
    assert _row(html, "Importo della donazione") == "0,00\xa0€"
    assert _row(html, "Importo ammesso all'Art Bonus") == "0,00\xa0€"
    english = _receipt(client, donor, donation_id, "en")
    assert _row(english, "Being given back to the donor (goal not reached: card refund under way)") == "€25.00"
    assert _row(english, "Amount eligible for the Art Bonus") == "€0.00"
    assert fund_balance(db, campaign) == 0  # the money left the fund at the deadline

    # The next run reaches the provider: the refund is asked for once, for the whole donation.
    assert _close_job(app)["refunds_sent"] == 1
    assert _close_job(app)["refunds_sent"] == 0
    refunds = stripe_fake.calls_to("POST", "/v1/refunds")
    # The call that failed and its retry, with the same idempotency key: one refund of the whole donation.
    assert [(r["payment_intent"], r["amount"]) for r in refunds] == [(intent_id, "2500"), (intent_id, "2500")]
    after = _documents(client, world, donor, donation_id, finance)
    assert after == {"state": "refunded", "eligible": 0, "summary": (0, 0, 0), "report": (0, 0, 0), "finance": []}
    html = _receipt(client, donor, donation_id)
    assert _row(html, "Restituito al donatore (rimborso o contestazione sulla carta)") == "25,00\xa0€"
    assert _row(html, "Importo ammesso all'Art Bonus") == "0,00\xa0€"
    assert "In restituzione" not in html
    # Stripe's event about our own refund books nothing more.
    confirmed = _deliver(
        client, "charge.refunded", {"id": "ch_1", "payment_intent": intent_id, "amount_refunded": 2500}
    )
    assert confirmed.json["outcome"] == "donation_refund_confirmed"
    db.rollback()
    donation = db.scalar(select(Donation).where(Donation.public_id == donation_id))
    assert (donation.refunded_amount, donation.kept_amount, donation.kept_eligible) == (2500, 0, 0)
    db.commit()
    # The campaign's page still shows what was raised by the deadline (the pledge was released).
    progress = client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]
    assert (progress["raised"]["amount"], progress["donors"], progress["goal_reached"]) == (3500, 2, False)
    assert balance(db, pledger) == (5000, 0)
    assert_audit_clean(db)


def test_a_partial_refund_made_at_the_provider_before_the_deadline_is_not_given_back_twice(
    app, client, db, stripe_fake
):
    world = make_world(db, patrons=1, funds=0)
    campaign = make_campaign(db, world, goal=100_000, model="all_or_nothing", art_bonus=True)
    donor = world.patrons[0]
    started, intent_id = _start(client, db, donor, campaign, 2500, art_bonus=True, tax_code=CF)
    _deliver(client, "payment_intent.succeeded", stripe_fake.pay(intent_id))
    partial = {"id": "ch_1", "payment_intent": intent_id, "amount_refunded": 1000}
    assert _deliver(client, "charge.refunded", partial).json["outcome"] == "donation_refund_booked"
    assert client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]["raised"]["amount"] == 1500
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    assert _close_job(app)["refunds_sent"] == 1
    assert [r["amount"] for r in stripe_fake.calls_to("POST", "/v1/refunds")] == ["1500"]
    shown = client.get(f"/v1/campaigns/donations/{started['donation']['id']}", headers=auth(donor)).json
    assert (shown["state"], shown["art_bonus_eligible"]["amount"]) == ("refunded", 0)
    html = _receipt(client, donor, started["donation"]["id"])
    assert _row(html, "Restituito al donatore (rimborso o contestazione sulla carta)") == "25,00\xa0€"
    # Raised by the deadline: what the provider had not refunded yet.
    assert client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]["raised"]["amount"] == 1500
    assert fund_balance(db, campaign) == 0
    assert_audit_clean(db)
