"""The donor wall names its entries by ids of its own (``wall_…``), never by the donations' ``don_…`` ids.

A donation's own id is what finance, receipts, reconciliation and the card provider know it by: a wall
showing it would let anyone holding a list that names patrons beside donation ids unmask an anonymous
donor. The wall's ids are also its cursor.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from backend.campaigns.models import Donation
from tests.campaigns.helpers import auth, donate, make_campaign, make_world


def _wall(client, campaign, **query):
    return client.get(f"/v1/campaigns/{campaign.public_id}/donors", query_string=query)


def test_the_wall_never_shows_a_donation_id(client, db):
    world = make_world(db, patrons=3)
    keep = make_campaign(db, world)
    pledges = make_campaign(db, world, model="all_or_nothing")
    shy, named, amount_hidden = world.patrons
    made = [
        donate(client, shy, keep, 1234, visibility="anonymous", message="Con affetto"),
        donate(client, named, keep, 2000),
        donate(client, amount_hidden, keep, 777, visibility="name_only"),
        donate(client, shy, pledges, 600, visibility="anonymous"),  # a hold: written another way
        donate(client, named, pledges, 400),
    ]
    assert all(r.status_code == 201 for r in made), [r.json for r in made]
    donation_ids = {r.json["donation"]["id"] for r in made}
    for staff_entry in client.get(
        f"/v1/campaigns/manage/{keep.public_id}/donations", headers=auth(world.librarian)
    ).json["data"]:
        assert staff_entry["id"] in donation_ids  # the owner's moderation keeps the donation's own id

    for campaign, expected in ((keep, 3), (pledges, 2)):
        response = _wall(client, campaign)
        assert response.status_code == 200
        entries = response.json["data"]
        ids = [e["id"] for e in entries]
        assert len(ids) == len(set(ids)) == expected
        assert all(i.startswith("wall_") for i in ids)
        assert not set(ids) & donation_ids
        body = json.dumps(response.json)
        assert "don_" not in body and not [i for i in donation_ids if i in body]
    # Every donation has its own wall id, unique, and none is a donation's id.
    db.rollback()
    rows = db.execute(select(Donation.public_id, Donation.wall_public_id)).all()
    assert len({wall_id for _, wall_id in rows}) == len(rows) == 5
    assert not {wall_id for _, wall_id in rows} & {public_id for public_id, _ in rows}
    # The anonymous entry is still what the donor chose: no name, the amount.
    anonymous = [e for e in _wall(client, keep).json["data"] if e["anonymous"]]
    assert [(e["donor_name"], e["amount"]["amount"]) for e in anonymous] == [(None, 1234)]


def test_the_wall_pages_by_its_own_ids_without_duplicates_or_gaps(client, db):
    world = make_world(db, patrons=3)
    campaign = make_campaign(db, world)
    for n in range(7):
        assert donate(client, world.patrons[n % 3], campaign, 100 + n).status_code == 201
    everything = _wall(client, campaign, limit=100).json
    assert everything["has_more"] is False and everything["next_cursor"] is None
    assert [e["amount"]["amount"] for e in everything["data"]] == [106, 105, 104, 103, 102, 101, 100]

    first = _wall(client, campaign, limit=3).json
    assert first["has_more"] is True and first["next_cursor"] == first["data"][-1]["id"]
    assert first["next_cursor"].startswith("wall_")
    # A donation arriving while the wall is paged goes on top: it shifts nothing already seen.
    assert donate(client, world.patrons[0], campaign, 999).status_code == 201
    second = _wall(client, campaign, limit=3, starting_after=first["next_cursor"]).json
    assert second["has_more"] is True and second["next_cursor"] == second["data"][-1]["id"]
    third = _wall(client, campaign, limit=3, starting_after=second["next_cursor"]).json
    assert third["has_more"] is False and third["next_cursor"] is None
    paged = [e["id"] for page in (first, second, third) for e in page["data"]]
    assert [len(page["data"]) for page in (first, second, third)] == [3, 3, 1]
    assert paged == [e["id"] for e in everything["data"]]
    assert _wall(client, campaign, limit=100).json["data"][0]["amount"]["amount"] == 999


def test_a_bad_wall_cursor_is_a_clear_400(client, db):
    world = make_world(db, patrons=1)
    campaign, other = make_campaign(db, world), make_campaign(db, world)
    donation_id = donate(client, world.patrons[0], campaign, 500).json["donation"]["id"]
    elsewhere = donate(client, world.patrons[0], other, 500).status_code
    assert elsewhere == 201
    other_wall_id = _wall(client, other).json["data"][0]["id"]
    for cursor in (donation_id, other_wall_id, "wall_000000000000000000000000", "nonsense"):
        response = _wall(client, campaign, starting_after=cursor)
        assert response.status_code == 400, cursor
        error = response.json["error"]
        assert (error["type"], error["code"], error["param"]) == (
            "invalid_request_error",
            "invalid_cursor",
            "starting_after",
        )
    too_long = _wall(client, campaign, starting_after="w" * 65)
    assert too_long.status_code == 400 and too_long.json["error"]["type"] == "invalid_request_error"
    english = client.get(
        f"/v1/campaigns/{campaign.public_id}/donors",
        query_string={"starting_after": donation_id},
        headers={"Accept-Language": "en"},
    )
    assert english.json["error"]["message"] == "The pagination cursor is not valid for this list."
