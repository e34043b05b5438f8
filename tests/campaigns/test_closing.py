"""The deadline: all-or-nothing holds captured or released, keep-it-all to the owner's income, exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.campaigns import closing
from backend.campaigns.models import Campaign, Donation
from backend.db import utcnow
from backend.ledger.models import Hold, LedgerAccount
from backend.ledger.services import account_balance
from backend.notify.models import Notification
from tests.campaigns.helpers import (
    assert_audit_clean,
    auth,
    balance,
    donate,
    fund_balance,
    make_campaign,
    make_world,
)


def _past_deadline(db, campaign):
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()


def _close(app):
    database = app.extensions["borsellino.db"]
    return database.run_in_transaction(closing.close_due_campaigns)


def _income(db, campaign) -> int:
    db.rollback()
    account = db.scalar(
        select(LedgerAccount).where(LedgerAccount.key == f"donation_income:{campaign.library.public_id}")
    )
    out = account_balance(db, account).amount if account else 0
    db.commit()
    return out


def _state(db, campaign):
    db.rollback()
    db.refresh(campaign)
    out = campaign.state
    db.commit()
    return out


def _states(db, campaign):
    db.rollback()
    out = sorted(db.scalars(select(Donation.state).where(Donation.campaign_id == campaign.id)))
    db.commit()
    return out


def test_all_or_nothing_pledges_are_holds_and_are_captured_when_the_goal_is_reached(app, client, db):
    world = make_world(db, patrons=2)
    campaign = make_campaign(db, world, goal=3000, model="all_or_nothing")
    a, b = world.patrons
    pledged = donate(client, a, campaign, 2000)
    assert pledged.status_code == 201 and pledged.json["donation"]["state"] == "pledged"
    donate(client, b, campaign, 1000)
    assert balance(db, a) == (10_000, 2000)  # held, not debited
    assert fund_balance(db, campaign) == 0
    assert client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]["goal_reached"] is True
    wallet = client.get("/v1/wallet", headers=auth(a)).json
    assert wallet["available"]["amount"] == 8000

    _past_deadline(db, campaign)
    assert _close(app)["settled"] == 1
    assert _close(app)["settled"] == 0  # exactly once
    db.rollback()
    assert _state(db, campaign) == "funded"
    assert _states(db, campaign) == ["succeeded", "succeeded"]
    assert balance(db, a) == (8000, 0) and balance(db, b) == (9000, 0)
    assert fund_balance(db, campaign) == 0 and _income(db, campaign) == 3000
    db.rollback()
    assert sorted(db.scalars(select(Hold.status))) == ["captured", "captured"]
    assert db.query(Notification).filter_by(patron_id=a.id, kind="campaign_funded").count() == 1
    db.commit()
    assert_audit_clean(db)


def test_all_or_nothing_missed_releases_every_hold_and_refunds_nothing_twice(app, client, db):
    world = make_world(db, patrons=2)
    campaign = make_campaign(db, world, goal=50_000, model="all_or_nothing")
    a, b = world.patrons
    donate(client, a, campaign, 2000)
    donate(client, b, campaign, 1500)
    _past_deadline(db, campaign)
    _close(app)
    _close(app)
    db.rollback()
    assert _state(db, campaign) == "not_funded"
    assert _states(db, campaign) == ["released", "released"]
    assert balance(db, a) == (10_000, 0) and balance(db, b) == (10_000, 0)
    assert db.query(Notification).filter_by(patron_id=a.id, kind="campaign_goal_missed").count() == 1
    assert _income(db, campaign) == 0
    db.commit()
    assert_audit_clean(db)


def test_keep_it_all_keeps_what_was_given_even_below_the_goal(app, client, db):
    world = make_world(db, patrons=1)
    campaign = make_campaign(db, world, goal=50_000)
    donate(client, world.patrons[0], campaign, 2500)
    _past_deadline(db, campaign)
    _close(app)
    db.rollback()
    assert _state(db, campaign) == "not_funded"
    assert fund_balance(db, campaign) == 0 and _income(db, campaign) == 2500
    assert balance(db, world.patrons[0]) == (7500, 0)
    assert_audit_clean(db)


def test_the_final_report_closes_a_settled_campaign_and_reaches_donors_and_followers(app, client, db):
    world = make_world(db, patrons=3)
    campaign = make_campaign(db, world, goal=1000)
    donor, follower, stranger = world.patrons
    donate(client, donor, campaign, 1000)
    assert client.post(f"/v1/campaigns/{campaign.public_id}/follow", headers=auth(follower)).status_code == 204
    early = client.post(
        f"/v1/campaigns/manage/{campaign.public_id}/updates",
        json={"body": "Finito!", "final_report": True},
        headers=auth(world.librarian),
    )
    assert early.status_code == 422 and early.json["error"]["code"] == "campaign_not_settled"
    news = client.post(
        f"/v1/campaigns/manage/{campaign.public_id}/updates",
        json={"body": "Abbiamo comprato i cuscini", "results": "20 cuscini"},
        headers=auth(world.librarian),
    )
    assert news.status_code == 201
    _past_deadline(db, campaign)
    _close(app)
    final = client.post(
        f"/v1/campaigns/manage/{campaign.public_id}/updates",
        json={"body": "L'angolo è aperto!", "final_report": True},
        headers=auth(world.librarian),
    )
    assert final.status_code == 201 and final.json["is_final_report"] is True
    shown = client.get(f"/v1/campaigns/{campaign.public_id}").json
    assert shown["state"] == "closed" and shown["final_report"] == "L'angolo è aperto!"
    db.rollback()
    for patron, expected in ((donor, 2), (follower, 2), (stranger, 0)):
        assert db.query(Notification).filter_by(patron_id=patron.id, kind="campaign_update").count() == expected
    db.commit()
    updates = client.get(f"/v1/campaigns/{campaign.public_id}/updates").json["data"]
    assert [u["body"] for u in updates] == ["L'angolo è aperto!", "Abbiamo comprato i cuscini"]
