"""Reading progress per title, progress per guide, the completion badge, shelves and the data export."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.guides.models import GuideBadge, ReadingProgress
from backend.notify.models import Notification
from tests.guides.helpers import ISBNS, add_isbn, auth, make_world, published_guide


def _set(client, patron, record_id, state):
    return client.put(f"/v1/guides/records/{record_id}/progress", json={"state": state}, headers=auth(patron))


def test_reading_every_title_completes_the_guide_once_with_a_badge(client, db):
    world = make_world(db)
    guide = published_guide(client, world, isbns=ISBNS[:3])
    records = [item["record"]["id"] for item in guide["items"]]
    patron = world.patrons[0]

    assert _set(client, patron, records[0], "want_to_read").json["progress"]["state"] == "want_to_read"
    changed = _set(client, patron, records[0], "reading").json
    assert changed["progress"]["state"] == "reading" and changed["progress"]["finished_at"] is None
    assert _set(client, patron, records[1], "read").json["badges_earned"] == []
    progress = client.get(f"/v1/guides/{guide['id']}/progress", headers=auth(patron)).json
    assert progress == {
        "guide_id": guide["id"],
        "items": 3,
        "want_to_read": 0,
        "reading": 1,
        "read": 1,
        "percent": 33,
        "completed": False,
        "badge_awarded_at": None,
    }

    _set(client, patron, records[0], "read")
    last = _set(client, patron, records[2], "read").json
    assert last["progress"]["finished_at"] is not None
    [badge] = last["badges_earned"]
    assert badge["guide"]["id"] == guide["id"]
    progress = client.get(f"/v1/guides/{guide['id']}/progress", headers=auth(patron)).json
    assert progress["completed"] is True and progress["percent"] == 100 and progress["badge_awarded_at"]
    # Reading again and finishing again earns nothing more.
    _set(client, patron, records[2], "reading")
    assert _set(client, patron, records[2], "read").json["badges_earned"] == []
    badges = client.get("/v1/guides/badges", headers=auth(patron)).json["data"]
    assert [b["id"] for b in badges] == [badge["id"]]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(GuideBadge)) == 1
    assert (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "guide_completed", Notification.patron_id == patron.id)
        )
        == 1
    )
    db.commit()
    # Another patron's progress is untouched.
    other = client.get(f"/v1/guides/{guide['id']}/progress", headers=auth(world.patrons[1])).json
    assert other["read"] == 0 and other["completed"] is False

    # The guide's detail shows my state on each item.
    detail = client.get(f"/v1/guides/{guide['id']}", headers=auth(patron)).json
    assert [i["record"]["my_state"] for i in detail["items"]] == ["read", "read", "read"]
    assert detail["progress"]["completed"] is True


def test_a_book_read_for_one_guide_counts_in_every_guide_that_lists_it(client, db):
    world = make_world(db)
    first = published_guide(client, world, isbns=ISBNS[:1])
    second = published_guide(client, world, isbns=ISBNS[:2], title_it="Seconda")
    patron = world.patrons[0]
    change = _set(client, patron, first["items"][0]["record"]["id"], "read").json
    assert [b["guide"]["id"] for b in change["badges_earned"]] == [first["id"]]
    progress = client.get(f"/v1/guides/{second['id']}/progress", headers=auth(patron)).json
    assert progress["read"] == 1 and progress["items"] == 2


def test_progress_and_badge_are_in_the_personal_data_export(client, db):
    world = make_world(db)
    guide = published_guide(client, world, isbns=ISBNS[:1])
    patron = world.patrons[0]
    client.put(f"/v1/guides/{guide['id']}/follow", headers=auth(patron))
    _set(client, patron, guide["items"][0]["record"]["id"], "read")
    export = client.get("/v1/me/export", headers=auth(patron)).json
    part = export["reading_guides"]
    assert part["following"][0]["guide_id"] == guide["id"]
    assert part["reading"][0] | {"updated_at": None, "finished_at": None} == {
        "record_id": guide["items"][0]["record"]["id"],
        "title": guide["items"][0]["record"]["title"],
        "isbn": ISBNS[0],
        "state": "read",
        "updated_at": None,
        "finished_at": None,
    }
    assert part["badges"][0]["guide_id"] == guide["id"] and part["badges"][0]["awarded_at"].endswith("Z")
    assert client.get("/v1/me/export", headers=auth(world.patrons[1])).json["reading_guides"] == {
        "following": [],
        "reading": [],
        "badges": [],
    }


def test_bad_progress_is_400_and_changes_nothing(client, db):
    world = make_world(db)
    guide = published_guide(client, world, isbns=ISBNS[:1])
    record_id = guide["items"][0]["record"]["id"]
    patron = world.patrons[0]
    _set(client, patron, record_id, "reading")
    for body in ({"state": "finished"}, {"state": 3}, {}):
        response = client.put(f"/v1/guides/records/{record_id}/progress", json=body, headers=auth(patron))
        assert response.status_code == 400 and response.json["error"]["code"] == "validation_error"
    assert _set(client, patron, "rec_nope", "read").status_code == 404
    db.expire_all()
    assert [p.state for p in db.scalars(select(ReadingProgress))] == ["reading"]
    db.commit()


def test_shelves_list_my_titles_by_state_with_cursor_pagination(client, db):
    world = make_world(db)
    guide = published_guide(client, world, isbns=ISBNS[:5])
    patron, other = world.patrons
    records = [item["record"]["id"] for item in guide["items"]]
    for record_id in records[:3]:
        _set(client, patron, record_id, "read")
    _set(client, patron, records[3], "want_to_read")
    _set(client, other, records[4], "read")

    page = client.get("/v1/guides/shelves", query_string={"state": "read", "limit": 2}, headers=auth(patron)).json
    assert page["has_more"] is True and len(page["data"]) == 2
    rest = client.get(
        "/v1/guides/shelves",
        query_string={"state": "read", "limit": 2, "starting_after": page["next_cursor"]},
        headers=auth(patron),
    ).json
    seen = [p["record"]["id"] for p in page["data"] + rest["data"]]
    assert sorted(seen) == sorted(records[:3]) and rest["has_more"] is False
    everything = client.get("/v1/guides/shelves", headers=auth(patron)).json["data"]
    assert {p["state"] for p in everything} == {"read", "want_to_read"} and len(everything) == 4
    # Another patron's cursor is not mine: 400, never their data.
    theirs = client.get("/v1/guides/shelves", headers=auth(other)).json["data"][0]["id"]
    response = client.get("/v1/guides/shelves", query_string={"starting_after": theirs}, headers=auth(patron))
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_cursor"


def test_new_title_after_the_badge_keeps_the_badge(client, db):
    world = make_world(db)
    guide = published_guide(client, world, isbns=ISBNS[:1])
    patron = world.patrons[0]
    _set(client, patron, guide["items"][0]["record"]["id"], "read")
    add_isbn(client, world.librarian, guide["id"], ISBNS[1], title="Nuovo")
    progress = client.get(f"/v1/guides/{guide['id']}/progress", headers=auth(patron)).json
    assert progress["completed"] is False and progress["badge_awarded_at"] is not None
