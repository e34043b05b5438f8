"""On PostgreSQL with real threads: a rush of donors on one campaign, and two closing jobs at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.campaigns import closing
from backend.campaigns.models import Campaign, Donation
from backend.db import utcnow
from backend.ledger.models import Hold
from tests.campaigns.helpers import assert_audit_clean, auth, fund_balance, key, make_campaign, make_world

pytestmark = pytest.mark.postgres_only


def _rush(app, world, campaign, amounts):
    barrier = threading.Barrier(len(world.patrons))
    statuses, lock = [], threading.Lock()
    headers = {p.id: {**auth(p), **key()} for p in world.patrons}

    def give(patron, amount):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/v1/campaigns/{campaign.public_id}/donations",
            json={"amount": {"amount": amount, "currency": "EUR"}},
            headers=headers[patron.id],
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=give, args=(p, a)) for p, a in zip(world.patrons, amounts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_a_rush_of_donors_loses_no_update_and_the_raised_total_is_the_sum(app, client, db):
    world = make_world(db, patrons=16, funds=5000)
    campaign = make_campaign(db, world, goal=1_000_000)
    amounts = [100 + 37 * i for i in range(16)]
    assert _rush(app, world, campaign, amounts) == [201] * 16
    progress = client.get(f"/v1/campaigns/{campaign.public_id}").json["progress"]
    assert progress["raised"]["amount"] == sum(amounts) and progress["donors"] == 16
    assert fund_balance(db, campaign) == sum(amounts)
    assert_audit_clean(db)


def test_a_rush_of_pledges_and_two_closing_jobs_settle_once(app, client, db):
    world = make_world(db, patrons=12, funds=5000)
    campaign = make_campaign(db, world, goal=6000, model="all_or_nothing")
    assert _rush(app, world, campaign, [500] * 12) == [201] * 12
    db.execute(update(Campaign).where(Campaign.id == campaign.id).values(deadline=utcnow() - timedelta(seconds=1)))
    db.commit()
    database = app.extensions["borsellino.db"]
    barrier, results, errors = threading.Barrier(2), [], []

    def job():
        with app.app_context():
            barrier.wait()
            try:
                results.append(database.run_in_transaction(closing.close_due_campaigns))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sum(r["settled"] for r in results) == 1
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Hold).where(Hold.status == "captured")) == 12
    assert db.scalar(select(func.count()).select_from(Donation).where(Donation.state == "succeeded")) == 12
    db.commit()
    assert_audit_clean(db)
