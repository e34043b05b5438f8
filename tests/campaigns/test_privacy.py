"""An anonymous donor never shows: walk every endpoint that lists donors, donations or notifications."""

from __future__ import annotations

import json

from backend.campaigns import receipts
from tests.campaigns.helpers import auth, donate, make_campaign, make_world


def test_anonymous_never_leaks_anywhere_others_can_look(app, client, db):
    world = make_world(db, patrons=3)
    campaign = make_campaign(db, world, art_bonus=True)
    shy, named, amount_hidden = world.patrons
    shy.first_name, shy.last_name = "Segretissima", "Nascosta"
    db.commit()
    secret_markers = ["Segretissima", "Nascosta", shy.public_id, shy.card_number, shy.email]
    donate(client, shy, campaign, 1234, visibility="anonymous", message="Con affetto")
    donate(client, named, campaign, 2000)
    donate(client, amount_hidden, campaign, 777, visibility="name_only")
    client.post(f"/v1/campaigns/{campaign.public_id}/follow", headers=auth(named))
    client.post(
        f"/v1/campaigns/manage/{campaign.public_id}/updates",
        json={"body": "Grazie a tutti!"},
        headers=auth(world.librarian),
    )
    app.extensions["borsellino.db"].run_in_transaction(receipts.issue_pending_receipts)
    staff_donations = client.get(f"/v1/campaigns/manage/{campaign.public_id}/donations", headers=auth(world.librarian))
    for donation in staff_donations.json["data"]:
        if donation["visibility"] == "anonymous":
            moderated = client.post(
                f"/v1/campaigns/manage/donations/{donation['id']}/moderation",
                json={"approve": True},
                headers=auth(world.librarian),
            )
            assert moderated.status_code == 200

    seen = {
        "wall": client.get(f"/v1/campaigns/{campaign.public_id}/donors"),
        "campaign": client.get(f"/v1/campaigns/{campaign.public_id}"),
        "discovery": client.get("/v1/campaigns?sort=most_funded"),
        "updates": client.get(f"/v1/campaigns/{campaign.public_id}/updates"),
        "staff_donations": client.get(
            f"/v1/campaigns/manage/{campaign.public_id}/donations", headers=auth(world.librarian)
        ),
        "staff_campaigns": client.get("/v1/campaigns/manage", headers=auth(world.librarian)),
        "others_notifications": client.get("/v1/notifications", headers=auth(named)),
        "others_donations": client.get("/v1/campaigns/donations", headers=auth(named)),
        "admin_donations": client.get(
            f"/v1/campaigns/manage/{campaign.public_id}/donations", headers=auth(world.admin)
        ),
    }
    for name, response in seen.items():
        assert response.status_code == 200, (name, response.json)
        body = json.dumps(response.json, ensure_ascii=False)
        for marker in secret_markers:
            assert marker not in body, f"{name} shows {marker}"
    wall = {e["amount"]["amount"] if e["amount"] else None: e for e in seen["wall"].json["data"]}
    assert wall[1234]["donor_name"] is None and wall[1234]["anonymous"] is True
    assert wall[1234]["message"] == "Con affetto"
    assert wall[2000]["donor_name"].startswith(named.first_name)
    assert wall[None]["donor_name"].startswith(amount_hidden.first_name)  # name only: no amount
    assert sorted(wall, key=str) == [1234, 2000, None]
    # The donor sees their own donation, of course.
    mine = client.get("/v1/campaigns/donations", headers=auth(shy)).json["data"]
    assert [d["amount"]["amount"] for d in mine] == [1234]


def test_my_export_has_my_donations_and_nobody_elses(client, db):
    world = make_world(db, patrons=2)
    campaign = make_campaign(db, world, art_bonus=True)
    donate(
        client, world.patrons[0], campaign, 1000, visibility="anonymous", art_bonus=True, tax_code="RSSMRA85T10A562S"
    )
    donate(client, world.patrons[1], campaign, 2000)
    mine = client.get("/v1/me/export", headers=auth(world.patrons[0])).json["campaigns"]["donations"]
    assert [(d["amount"]["amount"], d["tax_code"]) for d in mine] == [(1000, "RSSMRA85T10A562S")]
    theirs = client.get("/v1/me/export", headers=auth(world.patrons[1])).json
    assert "RSSMRA85T10A562S" not in json.dumps(theirs)
