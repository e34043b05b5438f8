"""Donating from the wallet: one idempotent request, limits, deadlines (Europe/Rome), progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from backend.campaigns import receipts
from backend.campaigns.models import Campaign, CampaignState
from backend.db import utcnow
from backend.notify.models import Notification
from tests.campaigns.helpers import (
    assert_audit_clean,
    auth,
    balance,
    donate,
    donation_count,
    fund_balance,
    key,
    make_campaign,
    make_world,
)
from tests.support.factories import make_patron


@pytest.fixture
def world(db):
    return make_world(db)


def test_a_wallet_donation_moves_money_to_the_fund_once_and_shows_in_progress(client, db, world):
    campaign = make_campaign(db, world, goal=5000)
    giulia = world.patrons[0]
    headers = key()
    first = donate(client, giulia, campaign, 1500, headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["donation"]["state"] == "succeeded"
    assert first.json["payment_sheet"] is None
    again = donate(client, giulia, campaign, 1500, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json
    assert balance(db, giulia) == (10_000 - 1500, 0)
    assert fund_balance(db, campaign) == 1500
    donate(client, world.patrons[1], campaign, 2500)
    progress = client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]
    assert progress["raised"] == {"amount": 4000, "currency": "EUR"}
    assert progress["donors"] == 2 and progress["percent"] == 80 and progress["goal_reached"] is False
    assert progress["days_left"] == 10
    db.rollback()
    thanks = db.query(Notification).filter_by(patron_id=giulia.id, kind="donation_received")
    # The thanks ("the receipt is in the app") goes out when the receipt is numbered, once.
    assert thanks.count() == 0
    database = client.application.extensions["borsellino.db"]
    assert database.run_in_transaction(receipts.issue_pending_receipts) == 2
    assert database.run_in_transaction(receipts.issue_pending_receipts) == 0
    db.rollback()
    assert thanks.count() == 1
    assert_audit_clean(db)


@pytest.mark.parametrize(
    "amount, status, code",
    [
        (0, 400, "validation_error"),
        (-100, 400, "validation_error"),
        (99, 422, "donation_amount_out_of_range"),
        (500_001, 422, "donation_amount_out_of_range"),
        (10**12, 400, "validation_error"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_changes(client, db, world, amount, status, code):
    campaign = make_campaign(db, world)
    response = donate(client, world.patrons[0], campaign, amount)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert balance(db, world.patrons[0]) == (10_000, 0)
    assert donation_count(db) == 0


def test_more_than_the_wallet_holds_is_insufficient_funds(client, db, world):
    campaign = make_campaign(db, world, goal=50_000)
    response = donate(client, world.patrons[0], campaign, 10_001)
    assert response.status_code == 422 and response.json["error"]["code"] == "insufficient_funds"
    assert balance(db, world.patrons[0]) == (10_000, 0) and donation_count(db) == 0


@pytest.mark.parametrize("state", [CampaignState.DRAFT, CampaignState.FUNDED, CampaignState.CLOSED])
def test_no_donation_to_a_campaign_that_is_not_live(client, db, world, state):
    campaign = make_campaign(db, world, state=state)
    response = donate(client, world.patrons[0], campaign)
    expected = 404 if state == CampaignState.DRAFT else 422
    assert response.status_code == expected, response.json
    if expected == 422:
        assert response.json["error"]["code"] == "campaign_not_open"
    assert balance(db, world.patrons[0]) == (10_000, 0) and donation_count(db) == 0


def test_no_donation_after_the_deadline_even_before_the_closing_job(client, db, world):
    campaign = make_campaign(db, world)
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(seconds=1)))
    db.commit()
    response = donate(client, world.patrons[0], campaign)
    assert response.status_code == 422 and response.json["error"]["code"] == "campaign_ended"
    assert balance(db, world.patrons[0]) == (10_000, 0) and donation_count(db) == 0


def test_the_deadline_is_typed_in_rome_time_and_stored_utc(client, db, world):
    body = {
        "library_id": world.library.public_id,
        "title": "Bibliobus",
        "goal": {"amount": 100_000, "currency": "EUR"},
        "deadline": "2099-07-31T23:59:00",
    }
    created = client.post("/v1/campaigns/manage", json=body, headers=auth(world.librarian))
    assert created.status_code == 201, created.json
    # Rome is UTC+2 in summer: 23:59 local is 21:59 UTC.
    assert created.json["deadline"] == "2099-07-31T21:59:00Z", created.json["deadline"]
    winter = client.patch(
        f"/v1/campaigns/manage/{created.json['id']}",
        json={"deadline": "2099-12-31T23:59:00"},
        headers=auth(world.librarian),
    )
    assert winter.json["deadline"].startswith("2099-12-31T22:59:00")


def test_donating_during_the_last_minute_in_rome_and_not_after(client, db, world):
    campaign = make_campaign(db, world)
    local_deadline = datetime(2026, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=1)))  # Rome in winter
    from backend.campaigns.donations import check_open
    from backend.errors import DomainError

    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=local_deadline))
    db.commit()
    db.refresh(campaign)
    check_open(campaign, datetime(2026, 12, 31, 22, 58, 59, tzinfo=UTC))
    with pytest.raises(DomainError) as refused:
        check_open(campaign, datetime(2026, 12, 31, 22, 59, tzinfo=UTC))
    assert refused.value.error.code == "campaign_ended"
    db.rollback()


def test_a_message_is_hidden_until_the_owner_approves_it(client, db, world):
    campaign = make_campaign(db, world)
    made = donate(client, world.patrons[0], campaign, 1000, message="Forza biblioteca!")
    donation_id = made.json["donation"]["id"]
    wall = client.get(f"/v1/campaigns/{campaign.public_id}/donors").json["data"]
    assert wall[0]["message"] is None
    other = client.post(
        f"/v1/campaigns/manage/donations/{donation_id}/moderation",
        json={"approve": True},
        headers=auth(world.other_librarian),
    )
    assert other.status_code == 404
    ok = client.post(
        f"/v1/campaigns/manage/donations/{donation_id}/moderation",
        json={"approve": True},
        headers=auth(world.librarian),
    )
    assert ok.status_code == 200 and ok.json["message_status"] == "approved"
    wall = client.get(f"/v1/campaigns/{campaign.public_id}/donors").json["data"]
    assert wall[0]["message"] == "Forza biblioteca!"


def test_a_deleted_account_cannot_donate_and_a_first_donor_without_a_wallet_is_refused(client, db, world):
    # The donation reads its donor together with the campaign and both accounts: the
    # account rules of every other request hold there too, and so do first times.
    campaign = make_campaign(db, world, goal=5000)
    gone, newcomer = world.patrons
    gone.status = "deleted"
    refused = donate(client, gone, campaign, 1500)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "account_not_available"
    newcomer_wallet_before = balance(db, newcomer)
    stranger = make_patron(db, world.network, world.library)
    broke = donate(client, stranger, campaign, 1500)
    assert broke.status_code == 422 and broke.json["error"]["code"] == "insufficient_funds"
    assert donation_count(db) == 0
    assert fund_balance(db, campaign) == 0
    assert balance(db, newcomer) == newcomer_wallet_before
    first = donate(client, newcomer, campaign, 1500)  # the campaign's first: its fund is opened
    assert first.status_code == 201, first.json
    assert fund_balance(db, campaign) == 1500
    assert balance(db, newcomer) == (newcomer_wallet_before[0] - 1500, 0)
    assert_audit_clean(db)
