"""Arrange Socialbook for tests: two networks, curators, patrons, guides made through the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from backend.accounts.models import Library, Network, Patron, StaffUser
from backend.guides.models import CatalogRecord, GuideItem
from tests.events.helpers import auth, key  # noqa: F401  (re-exported for the tests)
from tests.support.factories import make_library, make_network, make_patron, make_staff

# ISBN-13s with valid check digits (Italian publisher prefixes).
ISBNS = ["9788804668237", "9788806219352", "9788817050296", "9788845292613", "9788807030321"]
ISBN10 = "8804473282"  # → 9788804473282


@dataclass
class World:
    network: Network
    library: Library
    librarian: StaffUser
    admin: StaffUser
    patrons: list[Patron]
    other_network: Network
    other_library: Library
    other_librarian: StaffUser
    other_patron: Patron
    extra: dict = field(default_factory=dict)


def make_world(db, patrons: int = 2) -> World:
    network = make_network(db)
    library = make_library(db, network)
    other = make_network(db)
    other_library = make_library(db, other)
    world = World(
        network=network,
        library=library,
        librarian=make_staff(db, "librarian", network, libraries=[library]),
        admin=make_staff(db, "admin", network),
        patrons=[make_patron(db, network, library) for _ in range(patrons)],
        other_network=other,
        other_library=other_library,
        other_librarian=make_staff(db, "librarian", other, libraries=[other_library]),
        other_patron=make_patron(db, other, other_library),
    )
    db.commit()
    return world


def create_guide(client, staff, library, **fields) -> dict:
    body = {
        "title_it": "Stop bullismo",
        "title_en": "Stop bullying",
        "theme": "bullismo",
        "description_it": "Libri per parlarne in classe.",
        "library": library.public_id,
        "age_min": 11,
        "age_max": 14,
        "tags": ["scuola", "Bullismo"],
        **fields,
    }
    response = client.post("/v1/guides/manage/guides", json=body, headers=auth(staff))
    assert response.status_code == 201, response.json
    return response.json


def add_isbn(client, staff, guide_id, isbn, **fields) -> dict:
    response = client.post(
        f"/v1/guides/manage/guides/{guide_id}/items", json={"isbn": isbn, **fields}, headers=auth(staff)
    )
    assert response.status_code == 201, response.json
    return response.json


def publish(client, staff, guide_id) -> dict:
    response = client.post(f"/v1/guides/manage/guides/{guide_id}/publish", headers=auth(staff))
    assert response.status_code == 200, response.json
    return response.json


def published_guide(client, world, isbns=ISBNS[:3], **fields) -> dict:
    guide = create_guide(client, world.librarian, world.library, **fields)
    for isbn in isbns:
        add_isbn(client, world.librarian, guide["id"], isbn, title=f"Libro {isbn[-4:]}", note="Da leggere")
    return publish(client, world.librarian, guide["id"])


def catalogue_counts(db) -> dict:
    db.expire_all()
    found = {
        "records": db.scalar(select(func.count()).select_from(CatalogRecord)),
        "items": db.scalar(select(func.count()).select_from(GuideItem)),
    }
    db.commit()
    return found
