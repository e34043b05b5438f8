"""A small world for the shop tests: one network with two libraries, another network, staff, patrons."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from backend.ledger.audit import run_audit
from backend.ledger.services import wallet_of
from backend.shop.models import OpeningHours, Room, ShopItem
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff
from tests.support.ledger import fund_wallet


@dataclass
class World:
    network: object
    library: object
    sister: object  # another library of the same network
    other_library: object  # a library of another network
    librarian: object
    sister_librarian: object
    admin: object
    patrons: list = field(default_factory=list)


def make_world(db, funds: int = 5000) -> World:
    network = make_network(db)
    library = make_library(db, network)
    sister = make_library(db, network)
    other = make_library(db, make_network(db))
    world = World(
        network=network,
        library=library,
        sister=sister,
        other_library=other,
        librarian=make_staff(db, "librarian", network, libraries=[library]),
        sister_librarian=make_staff(db, "librarian", network, libraries=[sister]),
        admin=make_staff(db, "admin", network),
        patrons=[make_patron(db, network, library), make_patron(db, network, library)],
    )
    if funds:
        for patron in world.patrons:
            fund_wallet(db, patron, funds)
    db.commit()
    return world


def make_item(db, library, *, price=500, category="merchandise", stock=None, name="Borsa di tela", **extra) -> ShopItem:
    item = ShopItem(
        network_id=library.network_id,
        library_id=library.id,
        name_it=name,
        name_en=extra.pop("name_en", "Tote bag"),
        category=category,
        price=price,
        currency="EUR",
        stock=stock,
        **extra,
    )
    db.add(item)
    db.commit()
    return item


def make_room(db, library, *, price=1500, cutoff=24, hours=((1, "09:00", "19:00"),)) -> Room:
    room = Room(
        library_id=library.id,
        name_it="Sala riunioni",
        name_en="Meeting room",
        capacity=12,
        price_per_hour=price,
        currency="EUR",
        cancel_cutoff_hours=cutoff,
    )
    db.add(room)
    for weekday in range(1, 8):
        for day, opens, closes in hours:
            if day == weekday or day == 0:
                db.add(OpeningHours(library_id=library.id, weekday=weekday, opens=opens, closes=closes))
    db.commit()
    return room


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def checkout(client, patron, library, lines, headers=None):
    return client.post(
        "/v1/shop/orders",
        headers={**bearer(patron), **(headers or key())},
        json={"library_id": library.public_id, "lines": lines},
    )


def balance(db, patron) -> int:
    db.rollback()
    db.expire_all()
    return wallet_of(db, patron).balance


def stock_of(db, item) -> int | None:
    db.rollback()
    db.expire_all()
    return db.get(ShopItem, item.id).stock


def assert_audit_clean(db):
    db.rollback()
    db.expire_all()
    report = run_audit(db)
    db.commit()
    assert report.clean, report.problems
