"""Owners manage their campaigns (goal and deadline fixed at launch); others get 404; discovery for the app."""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.campaigns.models import Campaign
from backend.db import utcnow
from tests.campaigns.helpers import auth, donate, key, make_campaign, make_world

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


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_WHOLE_SECOND_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _timestamps(value, where=""):
    """Every date-time string in a JSON answer, with where it was found."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _timestamps(item, f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _timestamps(item, f"{where}[{index}]")
    elif isinstance(value, str) and _TIMESTAMP.match(value):
        yield where, value


def test_every_campaign_time_is_sent_in_whole_seconds_utc(client, db):
    world = make_world(db, patrons=1)
    patron = world.patrons[0]
    owner = auth(world.librarian)
    created = client.post(
        "/v1/campaigns/manage",
        json={
            "library_id": world.library.public_id,
            "title": "Bibliobus",
            "goal": {"amount": 100_000, "currency": "EUR"},
            "deadline": "2099-07-31T23:59:30.654321+02:00",  # fractions typed: none sent back
        },
        headers=owner,
    )
    assert created.json["deadline"] == "2099-07-31T21:59:30Z"
    campaign_id = created.json["id"]
    assert client.post(f"/v1/campaigns/manage/{campaign_id}/launch", headers=owner).status_code == 200
    client.post(f"/v1/campaigns/manage/{campaign_id}/updates", json={"body": "Si parte!"}, headers=owner)
    donated = client.post(
        f"/v1/campaigns/{campaign_id}/donations",
        json={"amount": {"amount": 500, "currency": "EUR"}},
        headers={**auth(patron), **key()},
    )
    client.post(
        f"/v1/campaigns/{campaign_id}/recurring",
        json={"amount": {"amount": 300, "currency": "EUR"}, "interval": "monthly"},
        headers={**auth(patron), **key()},
    )
    client.put(
        f"/v1/campaigns/supporter-cards/plans/{world.network.public_id}",
        json={"price": {"amount": 1000, "currency": "EUR"}},
        headers=auth(world.admin),
    )
    client.post(
        "/v1/campaigns/supporter-cards",
        json={"network_id": world.network.public_id, "method": "wallet"},
        headers={**auth(patron), **key()},
    )
    year = utcnow().year
    answers = [
        created,
        donated,
        client.get(f"/v1/campaigns/{campaign_id}"),
        client.get(f"/v1/campaigns?library_id={world.library.public_id}"),
        client.get(f"/v1/campaigns/{campaign_id}/updates"),
        client.get(f"/v1/campaigns/manage/{campaign_id}", headers=owner),
        client.get(f"/v1/campaigns/manage/{campaign_id}/donations", headers=owner),
        client.get("/v1/campaigns/donations", headers=auth(patron)),
        client.get(f"/v1/campaigns/donations/summary?year={year}", headers=auth(patron)),
        client.get("/v1/campaigns/recurring", headers=auth(patron)),
        client.get("/v1/campaigns/supporter-cards", headers=auth(patron)),
    ]
    export = client.get("/v1/me/export", headers=auth(patron)).json["campaigns"]  # the campaigns' part
    found = []
    for answer in answers:
        assert answer.status_code in (200, 201), answer.json
        found += list(_timestamps(answer.json))
    found += list(_timestamps(export, "export"))
    assert len(found) >= 15  # deadlines, launches, creations, next runs, card validity, export
    assert [(where, value) for where, value in found if not _WHOLE_SECOND_UTC.match(value)] == []
