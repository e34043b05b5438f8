"""The console pages of +Teca: a librarian creates, launches, moderates and reads the Art Bonus report."""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.campaigns.models import Campaign
from tests.campaigns.helpers import console_sign_in, csrf_of, donate, make_campaign, make_world


def test_a_librarian_runs_a_campaign_from_the_console(client, db):
    world = make_world(db, patrons=1)
    console_sign_in(client, world.librarian)
    index = client.get("/console/campaigns")
    assert index.status_code == 200 and "Nuova campagna" in index.get_data(as_text=True)
    token = csrf_of(client, "/console/campaigns")
    bad = client.post(
        "/console/campaigns",
        data={
            "csrf_token": token,
            "library_id": world.library.public_id,
            "title": "Cuscini",
            "goal": "500,00",
            "deadline": "domani",
        },
    )
    assert bad.status_code == 400
    created = client.post(
        "/console/campaigns",
        data={
            "csrf_token": token,
            "library_id": world.library.public_id,
            "title": "Cuscini",
            "goal": "500,00",
            "deadline": "2099-12-31 23:59",
            "model": "keep_it_all",
        },
    )
    assert created.status_code == 302
    db.rollback()
    campaign = db.scalar(select(Campaign).where(Campaign.title == "Cuscini"))
    assert campaign.goal == 50_000 and campaign.state == "draft"
    db.commit()
    detail_path = f"/console/campaigns/{campaign.public_id}"
    launched = client.post(f"{detail_path}/launch", data={"csrf_token": token})
    assert launched.status_code == 302
    assert "in corso" in client.get(detail_path).get_data(as_text=True)

    donate(client, world.patrons[0], campaign, 1000, visibility="anonymous", message="Bravi")
    page = client.get(detail_path).get_data(as_text=True)
    assert "Anonimo" in page and world.patrons[0].last_name not in page and "Bravi" in page
    donation_id = re.search(r"/console/campaigns/donations/(don_[0-9a-f]+)/moderation", page).group(1)
    approved = client.post(
        f"/console/campaigns/donations/{donation_id}/moderation", data={"csrf_token": token, "approve": "1"}
    )
    assert approved.status_code == 302
    wall = client.get(f"/v1/campaigns/{campaign.public_id}/donors").json["data"]
    assert wall[0]["message"] == "Bravi"
    posted = client.post(f"{detail_path}/updates", data={"csrf_token": token, "body": "Grazie!"})
    assert posted.status_code == 302
    report = client.get(f"/console/campaigns/art-bonus-report?library_id={world.library.public_id}")
    assert report.status_code == 200 and "Rapporto Art Bonus" in report.get_data(as_text=True)


def test_another_librarys_campaign_is_not_found_in_the_console(client, db):
    world = make_world(db, patrons=0)
    campaign = make_campaign(db, world)
    console_sign_in(client, world.other_librarian)
    assert client.get(f"/console/campaigns/{campaign.public_id}").status_code == 404
    token = csrf_of(client, "/console/campaigns")
    assert client.post(f"/console/campaigns/{campaign.public_id}/launch", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/console/campaigns/art-bonus-report?library_id={world.library.public_id}").status_code == 404
