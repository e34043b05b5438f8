"""Guides through the API: ISBNs, shared records, visibility, curation, browsing, follows and events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.guides.models import Guide, GuideFollow
from backend.notify.models import Notification
from tests.events.helpers import make_event
from tests.guides.helpers import (
    ISBN10,
    ISBNS,
    add_isbn,
    auth,
    catalogue_counts,
    create_guide,
    make_world,
    publish,
    published_guide,
)


def test_isbn_is_normalised_to_isbn13_and_one_record_is_shared_by_guides(client, db):
    world = make_world(db)
    first = create_guide(client, world.librarian, world.library)
    item = add_isbn(
        client,
        world.librarian,
        first["id"],
        "88-04-47328-2",
        title="Il nome della rosa",
        authors="Umberto Eco",
        note="Un classico",
    )
    assert item["record"]["isbn"] == "9788804473282"
    assert item["record"]["isbn_formatted"] == "978-88-04-47328-2"
    second = create_guide(client, world.librarian, world.library, title_it="Milano noir", theme="noir")
    # The same book by its ISBN-13 with spaces, no details: the existing record is reused.
    again = add_isbn(client, world.librarian, second["id"], "978 88 04 47328 2")
    assert again["record"]["id"] == item["record"]["id"]
    assert again["record"]["title"] == "Il nome della rosa"
    publish(client, world.librarian, first["id"])
    publish(client, world.librarian, second["id"])

    response = client.get(f"/v1/guides/records/{item['record']['id']}", headers=auth(world.patrons[0]))
    assert response.status_code == 200
    assert {g["id"] for g in response.json["guides"]} == {first["id"], second["id"]}


def test_an_isbn10_without_hyphens_becomes_isbn13_and_unknown_titles_show_the_isbn(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    item = add_isbn(client, world.librarian, guide["id"], ISBN10)
    assert item["record"]["isbn"] == "9788804473282"
    assert item["record"]["title"] == "ISBN 978-88-04-47328-2"


def test_bad_isbns_are_422_and_nothing_changes(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    before = catalogue_counts(db)
    for bad in ("88-04-47328-3", "9788804473283", "12345678901", "ISBN-ABCDEFGHIJ"):
        response = client.post(
            f"/v1/guides/manage/guides/{guide['id']}/items", json={"isbn": bad}, headers=auth(world.librarian)
        )
        assert response.status_code == 422, bad
        assert response.json["error"]["code"] == "invalid_isbn"
        assert response.json["error"]["param"] == "isbn"
    response = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/items",
        json={"note": "no isbn, no title"},
        headers=auth(world.librarian),
    )
    assert response.status_code == 400
    assert catalogue_counts(db) == before


def test_adding_the_same_book_twice_is_409_and_keeps_one_item(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    add_isbn(client, world.librarian, guide["id"], ISBNS[0], title="Uno")
    response = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/items", json={"isbn": ISBNS[0]}, headers=auth(world.librarian)
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "already_in_guide"
    assert catalogue_counts(db) == {"records": 1, "items": 1}


def test_a_draft_and_another_networks_private_guide_are_404_to_patrons(client, db):
    world = make_world(db)
    draft = create_guide(client, world.librarian, world.library)
    add_isbn(client, world.librarian, draft["id"], ISBNS[0], title="Uno")
    private = published_guide(client, world, isbns=ISBNS[1:2], visibility="network", title_it="Solo per noi")
    open_to_all = published_guide(client, world, isbns=ISBNS[2:3], title_it="Per tutti")

    mine, stranger = world.patrons[0], world.other_patron
    assert client.get(f"/v1/guides/{draft['id']}", headers=auth(mine)).status_code == 404
    assert client.get(f"/v1/guides/{private['id']}", headers=auth(mine)).status_code == 200
    assert client.get(f"/v1/guides/{private['id']}", headers=auth(stranger)).status_code == 404
    assert client.get(f"/v1/guides/{open_to_all['id']}", headers=auth(stranger)).status_code == 200
    listed = client.get("/v1/guides", headers=auth(stranger)).json["data"]
    assert [g["id"] for g in listed] == [open_to_all["id"]]
    # Following or reading in a guide one can't see is the same 404.
    assert client.put(f"/v1/guides/{private['id']}/follow", headers=auth(stranger)).status_code == 404
    record_id = private["items"][0]["record"]["id"]
    response = client.put(f"/v1/guides/records/{record_id}/progress", json={"state": "read"}, headers=auth(stranger))
    assert response.status_code == 404
    # Unpublishing hides it again.
    client.post(f"/v1/guides/manage/guides/{open_to_all['id']}/unpublish", headers=auth(world.librarian))
    assert client.get(f"/v1/guides/{open_to_all['id']}", headers=auth(stranger)).status_code == 404


def test_curators_of_another_network_see_nothing_of_a_guide(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    outsider = world.other_librarian
    assert client.get(f"/v1/guides/manage/guides/{guide['id']}", headers=auth(outsider)).status_code == 404
    response = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/items", json={"isbn": ISBNS[0], "title": "x"}, headers=auth(outsider)
    )
    assert response.status_code == 404
    assert client.post(f"/v1/guides/manage/guides/{guide['id']}/publish", headers=auth(outsider)).status_code == 404
    response = client.post(
        "/v1/guides/manage/guides",
        json={"title_it": "x", "theme": "y", "library": world.library.public_id},
        headers=auth(outsider),
    )
    assert response.status_code == 404
    assert catalogue_counts(db) == {"records": 0, "items": 0}
    db.expire_all()
    assert db.scalar(select(Guide.state).where(Guide.public_id == guide["id"])) == "draft"
    db.commit()


def test_publishing_needs_a_title_and_moves_draft_to_published_once(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    response = client.post(f"/v1/guides/manage/guides/{guide['id']}/publish", headers=auth(world.librarian))
    assert response.status_code == 422 and response.json["error"]["code"] == "guide_empty"
    add_isbn(client, world.librarian, guide["id"], ISBNS[0], title="Uno")
    published = publish(client, world.librarian, guide["id"])
    assert published["state"] == "published" and published["published_at"]
    again = client.post(f"/v1/guides/manage/guides/{guide['id']}/publish", headers=auth(world.librarian))
    assert again.status_code == 422 and again.json["error"]["code"] == "invalid_state"


def test_reorder_takes_every_item_once(client, db):
    world = make_world(db)
    guide = create_guide(client, world.librarian, world.library)
    ids = [add_isbn(client, world.librarian, guide["id"], isbn, title=isbn)["id"] for isbn in ISBNS[:3]]
    response = client.put(
        f"/v1/guides/manage/guides/{guide['id']}/items/order",
        json={"item_ids": [ids[2], ids[0]]},
        headers=auth(world.librarian),
    )
    assert response.status_code == 422 and response.json["error"]["code"] == "order_mismatch"
    response = client.put(
        f"/v1/guides/manage/guides/{guide['id']}/items/order",
        json={"item_ids": [ids[2], ids[0], ids[1]]},
        headers=auth(world.librarian),
    )
    assert response.status_code == 200
    assert [i["id"] for i in response.json["items"]] == [ids[2], ids[0], ids[1]]
    assert [i["position"] for i in response.json["items"]] == [1, 2, 3]


def test_browse_filters_and_most_followed(client, db):
    world = make_world(db, patrons=3)
    kids = published_guide(
        client,
        world,
        isbns=ISBNS[:1],
        title_it="Crescere con i libri 0-6",
        theme="prima infanzia",
        age_min=0,
        age_max=6,
        tags=["nati per leggere"],
    )
    noir = published_guide(
        client, world, isbns=ISBNS[1:2], title_it="Milano noir", theme="noir", age_min=16, age_max=None, tags=["gialli"]
    )
    network_guide = client.post(
        "/v1/guides/manage/guides",
        json={"title_it": "La rete legge", "theme": "noir", "network": world.network.public_id},
        headers=auth(world.admin),
    ).json
    add_isbn(client, world.admin, network_guide["id"], ISBNS[2], title="Tre")
    publish(client, world.admin, network_guide["id"])
    patron = world.patrons[0]
    for p in world.patrons:
        client.put(f"/v1/guides/{noir['id']}/follow", headers=auth(p))
    client.put(f"/v1/guides/{kids['id']}/follow", headers=auth(patron))

    def ids(**query):
        response = client.get("/v1/guides", query_string=query, headers=auth(patron))
        assert response.status_code == 200, response.json
        return [g["id"] for g in response.json["data"]]

    assert ids() == [network_guide["id"], noir["id"], kids["id"]]  # newest first
    assert ids(sort="most_followed")[0] == noir["id"]
    assert ids(age=4) == [network_guide["id"], kids["id"]]  # no age band: for every age
    assert ids(theme="NOIR") == [network_guide["id"], noir["id"]]
    assert ids(q="milano") == [noir["id"]]
    assert ids(tag="nati per leggere") == [kids["id"]]
    assert ids(curator=world.network.public_id) == [network_guide["id"]]
    assert ids(curator=world.library.public_id) == [noir["id"], kids["id"]]
    assert ids(network=world.other_network.public_id) == []
    first = client.get("/v1/guides", query_string={"limit": 2}, headers=auth(patron)).json
    assert first["has_more"] is True
    rest = client.get(
        "/v1/guides", query_string={"limit": 2, "starting_after": first["next_cursor"]}, headers=auth(patron)
    ).json
    assert [g["id"] for g in rest["data"]] == [kids["id"]] and rest["has_more"] is False
    response = client.get("/v1/guides", query_string={"age": -1}, headers=auth(patron))
    assert response.status_code == 400 and response.json["error"]["code"] == "validation_error"

    mine = client.get("/v1/guides/mine", headers=auth(patron)).json
    assert [g["id"] for g in mine["data"]] == [kids["id"], noir["id"]]  # newest follow first
    detail = client.get(f"/v1/guides/{noir['id']}", headers=auth(patron)).json
    assert detail["followers"] == 3 and detail["following"] is True
    assert detail["curator"] == {
        "kind": "library",
        "id": world.library.public_id,
        "name": world.library.name,
        "network_id": world.network.public_id,
    }


def test_follow_twice_counts_once_and_unfollow_undoes_it(client, db):
    world = make_world(db)
    guide = published_guide(client, world)
    patron = world.patrons[0]
    for _ in range(2):
        response = client.put(f"/v1/guides/{guide['id']}/follow", headers=auth(patron))
        assert response.status_code == 200 and response.json == {
            "guide_id": guide["id"],
            "following": True,
            "followers": 1,
        }
    assert client.delete(f"/v1/guides/{guide['id']}/follow", headers=auth(patron)).status_code == 204
    assert client.delete(f"/v1/guides/{guide['id']}/follow", headers=auth(patron)).status_code == 404
    db.expire_all()
    assert db.scalar(select(Guide.followers).where(Guide.public_id == guide["id"])) == 0
    assert db.scalar(select(func.count()).select_from(GuideFollow)) == 0
    db.commit()


def _notes(db, patron, kind):
    db.expire_all()
    found = list(db.scalars(select(Notification).where(Notification.patron_id == patron.id, Notification.kind == kind)))
    db.commit()
    return found


def test_followers_are_notified_of_a_new_linked_event_with_live_availability(client, db):
    world = make_world(db, patrons=3)
    guide = published_guide(client, world)
    follower, opted_out, bystander = world.patrons
    client.put(f"/v1/guides/{guide['id']}/follow", headers=auth(follower))
    client.put(f"/v1/guides/{guide['id']}/follow", headers=auth(opted_out))
    response = client.patch("/v1/notifications/preferences", json={"reminders": False}, headers=auth(opted_out))
    assert response.status_code == 200, response.json
    event = make_event(
        db, world.network, world.library, title="Incontro con l'autrice", capacity=30, starts_in=timedelta(days=5)
    )
    later = make_event(db, world.network, world.library, title="Mostra", capacity=10, starts_in=timedelta(days=9))
    event.occurrences[0].sold = 12
    db.commit()

    response = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/events",
        json={"event_id": event.public_id},
        headers=auth(world.librarian),
    )
    assert response.status_code == 201, response.json
    response = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/events",
        json={"event_id": later.public_id, "occurrence_id": later.occurrences[0].public_id},
        headers=auth(world.librarian),
    )
    assert response.status_code == 201
    again = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/events",
        json={"event_id": event.public_id},
        headers=auth(world.librarian),
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "event_already_linked"

    notes = _notes(db, follower, "guide_event_added")
    assert [n.data["event_title"] for n in notes] == ["Incontro con l'autrice", "Mostra"]
    assert "Stop bullismo" in notes[0].title
    assert _notes(db, opted_out, "guide_event_added") == []  # reminders switched off
    assert _notes(db, bystander, "guide_event_added") == []

    detail = client.get(f"/v1/guides/{guide['id']}", headers=auth(bystander)).json
    assert [(e["title"], e["available"]) for e in detail["upcoming_events"]] == [
        ("Incontro con l'autrice", 18),
        ("Mostra", 10),
    ]
    event.occurrences[0].sold = 30  # the box office sold the rest: the guide shows it at once
    db.commit()
    detail = client.get(f"/v1/guides/{guide['id']}", headers=auth(bystander)).json
    assert detail["upcoming_events"][0]["available"] == 0


def test_a_draft_event_cannot_be_linked_and_nothing_is_sent(client, db):
    world = make_world(db)
    guide = published_guide(client, world)
    client.put(f"/v1/guides/{guide['id']}/follow", headers=auth(world.patrons[0]))
    draft = make_event(db, world.network, world.library, status="draft")
    db.commit()
    response = client.post(
        f"/v1/guides/manage/guides/{guide['id']}/events",
        json={"event_id": draft.public_id},
        headers=auth(world.librarian),
    )
    assert response.status_code == 404
    assert _notes(db, world.patrons[0], "guide_event_added") == []


def test_new_titles_of_a_followed_guide_are_notified(client, db):
    world = make_world(db)
    guide = published_guide(client, world, isbns=ISBNS[:1])
    client.put(f"/v1/guides/{guide['id']}/follow", headers=auth(world.patrons[0]))
    add_isbn(client, world.librarian, guide["id"], ISBNS[1], title="Due")
    [note] = _notes(db, world.patrons[0], "guide_items_added")
    assert note.data == {"guide_title": "Stop bullismo", "count": 1}


def test_opac_link_follows_the_owning_networks_template(client, db):
    world = make_world(db)
    response = client.put(
        "/v1/guides/manage/opac-template", json={"url_template": "ftp://x/{isbn}"}, headers=auth(world.admin)
    )
    assert response.status_code == 422 and response.json["error"]["code"] == "bad_opac_template"
    response = client.put(
        "/v1/guides/manage/opac-template",
        json={"url_template": "https://opac.example.org/search?isbn={isbn}"},
        headers=auth(world.admin),
    )
    assert response.status_code == 200
    guide = published_guide(client, world, isbns=ISBNS[:1])
    detail = client.get(f"/v1/guides/{guide['id']}", headers=auth(world.other_patron)).json
    assert detail["items"][0]["record"]["opac_url"] == f"https://opac.example.org/search?isbn={ISBNS[0]}"
    assert (
        client.put(
            "/v1/guides/manage/opac-template", json={"url_template": "https://x/{isbn}"}, headers=auth(world.librarian)
        ).status_code
        == 403
    )
