"""Organizers build the program; the app finds it (dates, filters, distance, pagination)."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.db import utcnow
from backend.events.models import Event, Occurrence
from backend.events.times import ROME
from tests.events.helpers import auth, make_event, make_world
from tests.support.factories import make_library, make_staff


@pytest.fixture
def world(db, app_ctx):
    return make_world(db, capacity=10, patrons=1)


def local(days: int, hour: int = 21) -> str:
    day = (utcnow() + timedelta(days=days)).astimezone(ROME).date()
    return datetime(day.year, day.month, day.day, hour, 0).isoformat()  # naive: Rome wall-clock time


def test_a_librarian_creates_and_publishes_an_event_in_rome_time(client, db, world):
    body = {
        "library": world.library.public_id,
        "title": "Cineforum: Nuovo Cinema Paradiso",
        "category": "film",
        "venue_name": "Auditorium",
        "venue_address": "Via Meda 20, Rho",
        "latitude": 45.53,
        "longitude": 9.04,
        "audience": "Adulti",
        "age_min": 14,
        "accessibility": "Accessibile in sedia a rotelle",
        "ticket_types": [
            {"name": "Intero", "kind": "full", "price": {"amount": 500, "currency": "EUR"}},
            {
                "name": "Ridotto",
                "kind": "reduced",
                "condition": "Under 26",
                "price": {"amount": 300, "currency": "EUR"},
                "capacity": 10,
            },
        ],
        "occurrences": [{"starts_at": local(10), "capacity": 80}],
    }
    created = client.post("/v1/events/manage", json=body, headers=auth(world.librarian))
    assert created.status_code == 201, created.json
    event = created.json
    assert event["status"] == "draft"
    assert event["occurrences"][0]["starts_at"].startswith(local(10))  # shown in Rome time, with offset
    assert event["occurrences"][0]["starts_at"][-6:] in ("+01:00", "+02:00")
    assert client.get(f"/v1/events/{event['id']}").status_code == 404  # drafts are not public
    published = client.post(f"/v1/events/manage/{event['id']}/publish", headers=auth(world.librarian))
    assert published.status_code == 200 and published.json["status"] == "published"
    detail = client.get(f"/v1/events/{event['id']}").json
    assert [t["kind"] for t in detail["ticket_types"]] == ["full", "reduced"]
    assert detail["organizer"]["library"] == world.library.public_id


@pytest.mark.parametrize(
    "change, field",
    [
        (
            {"ticket_types": [{"name": "Ridotto", "kind": "reduced", "price": {"amount": 300, "currency": "EUR"}}]},
            "ticket_types.0.condition",
        ),
        (
            {"ticket_types": [{"name": "Libero", "kind": "free", "price": {"amount": 300, "currency": "EUR"}}]},
            "ticket_types.0.price",
        ),
        ({"occurrences": [{"starts_at": "2026-13-01T20:00:00", "capacity": 10}]}, "occurrences.0.starts_at"),
        ({"occurrences": [{"starts_at": "2030-01-01T20:00:00", "capacity": 0}]}, "occurrences.0.capacity"),
        ({"category": "rave"}, "category"),
        ({"latitude": 95}, "latitude"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_created(client, db, world, change, field):
    body = {"library": world.library.public_id, "title": "X", "category": "talk", "venue_name": "Sala", **change}
    response = client.post("/v1/events/manage", json=body, headers=auth(world.librarian))
    assert response.status_code == 400, response.json
    assert response.json["error"]["param"] == field
    assert db.scalar(select(func.count()).select_from(Event)) == 1  # only the fixture's


def test_a_date_in_the_past_is_refused(client, db, world):
    response = client.post(
        f"/v1/events/manage/{world.event.public_id}/occurrences",
        json={"starts_at": "2020-01-01T20:00:00", "capacity": 10},
        headers=auth(world.librarian),
    )
    assert response.status_code == 422 and response.json["error"]["code"] == "occurrence_in_past"
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 1


def test_librarians_manage_only_their_librarys_events(client, db, world):
    other = make_staff(db, "librarian", world.network, libraries=[make_library(db, world.network)])
    db.commit()
    headers = auth(other)
    assert client.get(f"/v1/events/manage/{world.event.public_id}", headers=headers).status_code == 404
    assert (
        client.patch(f"/v1/events/manage/{world.event.public_id}", json={"title": "Mio"}, headers=headers).status_code
        == 404
    )
    body = {"library": world.library.public_id, "title": "X", "category": "talk", "venue_name": "Sala"}
    assert client.post("/v1/events/manage", json=body, headers=headers).status_code == 404
    assert client.get("/v1/events/manage", headers=headers).json["data"] == []


def test_discovery_filters_and_orders_by_start_time(client, db, world):
    lib = world.library
    make_event(
        db,
        world.network,
        lib,
        title="Laboratorio di fumetto",
        category="workshop",
        free=True,
        starts_in=timedelta(days=2),
    )
    make_event(
        db,
        world.network,
        lib,
        title="Teatro a Milano",
        category="theatre",
        latitude=45.4642,
        longitude=9.19,
        starts_in=timedelta(days=3),
    )
    make_event(
        db,
        world.network,
        lib,
        title="Mostra a Bergamo",
        category="exhibition",
        latitude=45.698,
        longitude=9.677,
        starts_in=timedelta(days=4),
    )
    make_event(db, world.network, lib, title="Bozza", status="draft", starts_in=timedelta(days=1))
    db.commit()

    def titles(**query):
        response = client.get("/v1/events/occurrences", query_string=query)
        assert response.status_code == 200, response.json
        return [o["event"]["title"] for o in response.json["data"]]

    assert titles() == ["Laboratorio di fumetto", "Teatro a Milano", "Mostra a Bergamo", "Serata di letture"]
    assert titles(free="true") == ["Laboratorio di fumetto"]
    assert "Laboratorio di fumetto" not in titles(free="false")
    assert titles(category="theatre") == ["Teatro a Milano"]
    assert titles(q="FUMETTO") == ["Laboratorio di fumetto"]
    # Rho (45.528, 9.04): Milan is ~13 km away, Bergamo ~50 km.
    assert titles(lat=45.528, lon=9.04, radius_km=5) == ["Laboratorio di fumetto", "Serata di letture"]
    assert "Teatro a Milano" in titles(lat=45.528, lon=9.04, radius_km=20)
    assert "Mostra a Bergamo" not in titles(lat=45.528, lon=9.04, radius_km=20)
    start = (utcnow() + timedelta(days=2, hours=12)).isoformat()
    end = (utcnow() + timedelta(days=5)).isoformat()
    assert titles(**{"from": start, "to": end}) == ["Teatro a Milano", "Mostra a Bergamo"]

    page1 = client.get("/v1/events/occurrences", query_string={"limit": 2}).json
    page2 = client.get("/v1/events/occurrences", query_string={"limit": 2, "starting_after": page1["next_cursor"]}).json
    assert [o["event"]["title"] for o in page1["data"] + page2["data"]] == titles()
    assert client.get("/v1/events/occurrences", query_string={"lat": 45}).status_code == 400


def test_capacity_cannot_drop_below_seats_taken(client, db, world):
    world.occurrence.sold = 6
    db.commit()
    response = client.put(
        f"/v1/events/manage/occurrences/{world.occurrence.public_id}/capacity",
        json={"capacity": 5},
        headers=auth(world.librarian),
    )
    assert response.status_code == 422 and response.json["error"]["sold"] == 6
    db.expire_all()
    assert db.scalar(select(Occurrence.capacity)) == 10
