"""Owners manage their campaigns (goal and deadline fixed at launch); others get 404; discovery for the app."""

from __future__ import annotations

from sqlalchemy import select

from backend.campaigns.models import Campaign
from tests.campaigns.helpers import auth, donate, make_campaign, make_world

BODY = {
    "title": "Bibliobus",
    "story": "Libri che viaggiano",
    "goal": {"amount": 200_000, "currency": "EUR"},
    "deadline": "2099-03-01T18:00:00",
    "model": "all_or_nothing",
    "good_causes": ["Un furgone"],
    "latitude": 45.528,
    "longitude": 9.04,
}


def test_a_librarian_creates_edits_and_launches_then_the_promise_is_fixed(client, db):
    world = make_world(db, patrons=1)
    created = client.post(
        "/v1/campaigns/manage", json={**BODY, "library_id": world.library.public_id}, headers=auth(world.librarian)
    )
    assert created.status_code == 201, created.json
    campaign_id = created.json["id"]
    assert created.json["state"] == "draft"
    assert client.get(f"/v1/campaigns/{campaign_id}").status_code == 404  # drafts are not public
    edited = client.patch(
        f"/v1/campaigns/manage/{campaign_id}",
        json={"goal": {"amount": 150_000, "currency": "EUR"}},
        headers=auth(world.librarian),
    )
    assert edited.json["progress"]["goal"]["amount"] == 150_000
    launched = client.post(f"/v1/campaigns/manage/{campaign_id}/launch", headers=auth(world.librarian))
    assert launched.status_code == 200 and launched.json["state"] == "live"
    again = client.post(f"/v1/campaigns/manage/{campaign_id}/launch", headers=auth(world.librarian))
    assert again.status_code == 422 and again.json["error"]["code"] == "invalid_state"
    locked = client.patch(
        f"/v1/campaigns/manage/{campaign_id}",
        json={"goal": {"amount": 1000, "currency": "EUR"}},
        headers=auth(world.librarian),
    )
    assert locked.status_code == 422 and locked.json["error"]["code"] == "campaign_locked"
    story = client.patch(
        f"/v1/campaigns/manage/{campaign_id}", json={"story": "Nuova storia"}, headers=auth(world.librarian)
    )
    assert story.status_code == 200 and story.json["progress"]["goal"]["amount"] == 150_000
    assert client.get(f"/v1/campaigns/{campaign_id}").json["story"] == "Nuova storia"


def test_staff_of_another_library_and_patrons_get_404_or_403(client, db):
    world = make_world(db, patrons=1)
    campaign = make_campaign(db, world)
    other = auth(world.other_librarian)
    assert client.get(f"/v1/campaigns/manage/{campaign.public_id}", headers=other).status_code == 404
    assert (
        client.patch(f"/v1/campaigns/manage/{campaign.public_id}", json={"title": "x"}, headers=other).status_code
        == 404
    )
    assert (
        client.post(f"/v1/campaigns/manage/{campaign.public_id}/updates", json={"body": "x"}, headers=other).status_code
        == 404
    )
    assert client.get(f"/v1/campaigns/manage/{campaign.public_id}/donations", headers=other).status_code == 404
    assert (
        client.post(
            "/v1/campaigns/manage", json={**BODY, "library_id": world.library.public_id}, headers=other
        ).status_code
        == 404
    )
    assert client.get("/v1/campaigns/manage", headers=other).json["data"] == []
    assert client.get("/v1/campaigns/manage", headers=auth(world.admin)).json["data"][0]["id"] == campaign.public_id
    assert client.get(f"/v1/campaigns/manage/{campaign.public_id}", headers=auth(world.patrons[0])).status_code == 403
    db.rollback()
    assert db.scalar(select(Campaign.title).where(Campaign.id == campaign.id)) == "Angolo bimbi"
    db.commit()


def test_another_patron_cannot_see_my_donation_or_its_receipt(client, db):
    world = make_world(db, patrons=2)
    campaign = make_campaign(db, world)
    made = donate(client, world.patrons[0], campaign, 1000).json["donation"]["id"]
    thief = auth(world.patrons[1])
    assert client.get(f"/v1/campaigns/donations/{made}", headers=thief).status_code == 404
    assert client.get(f"/v1/campaigns/donations/{made}/receipt", headers=thief).status_code == 404


def test_discovery_of_my_library_near_me_ending_soon_and_most_funded(client, db):
    world = make_world(db, patrons=1, funds=20_000)
    soon = make_campaign(db, world, days=2, latitude=45.53, longitude=9.04)
    later = make_campaign(db, world, days=30, library=world.other_library, latitude=45.46, longitude=9.19)
    make_campaign(db, world, state="draft")
    donate(client, world.patrons[0], later, 5000)
    ids = lambda r: [c["id"] for c in r.json["data"]]  # noqa: E731
    assert ids(client.get("/v1/campaigns")) == [soon.public_id, later.public_id]
    assert ids(client.get("/v1/campaigns?sort=most_funded")) == [later.public_id, soon.public_id]
    assert ids(client.get(f"/v1/campaigns?library_id={world.library.public_id}")) == [soon.public_id]
    assert ids(client.get(f"/v1/campaigns?network_id={world.network.public_id}&limit=1")) == [soon.public_id]
    # Rho is about 13 km from the centre of Milan.
    assert ids(client.get("/v1/campaigns?lat=45.532&lon=9.041&radius_km=5")) == [soon.public_id]
    assert ids(client.get("/v1/campaigns?lat=45.532&lon=9.041&radius_km=20")) == [soon.public_id, later.public_id]
    page = client.get("/v1/campaigns?limit=1").json
    assert page["has_more"] is True
    rest = client.get(f"/v1/campaigns?limit=1&starting_after={page['next_cursor']}").json
    assert [c["id"] for c in rest["data"]] == [later.public_id]
