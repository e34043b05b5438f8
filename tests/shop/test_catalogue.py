"""Managing the catalogue (librarians their library's items, admins the network's) and browsing it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.db import utcnow
from backend.shop.models import ShopItem
from tests.shop.helpers import make_item, make_world
from tests.support.factories import bearer


def _item_body(library=None, **extra):
    body = {
        "name_it": "Borsa di tela",
        "name_en": "Tote bag",
        "category": "merchandise",
        "price": {"amount": 800, "currency": "EUR"},
        "stock": 10,
        "vat": "vat_22",
    }
    if library is not None:
        body["library_id"] = library.public_id
    return {**body, **extra}


def _count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ShopItem))


def test_a_librarian_adds_an_item_and_patrons_see_it_in_that_library_only(client, db, app_ctx):
    world = make_world(db)
    created = client.post("/v1/shop/manage/items", headers=bearer(world.librarian), json=_item_body(world.library))
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["price"] == {"amount": 800, "currency": "EUR"} and item["pickup"] is True and item["stock"] == 10
    patron = world.patrons[0]
    here = client.get(f"/v1/shop/libraries/{world.library.public_id}/items", headers=bearer(patron)).get_json()
    assert [i["id"] for i in here["data"]] == [item["id"]]
    there = client.get(f"/v1/shop/libraries/{world.sister.public_id}/items", headers=bearer(patron)).get_json()
    assert there["data"] == []
    libraries = client.get("/v1/shop/libraries", headers=bearer(patron)).get_json()
    assert [(lib["id"], lib["categories"]) for lib in libraries] == [(world.library.public_id, ["merchandise"])]


def test_a_librarian_cannot_touch_another_librarys_items_they_are_404(client, db, app_ctx):
    world = make_world(db)
    item = make_item(db, world.library)
    for staff in (world.sister_librarian,):
        assert client.get(f"/v1/shop/manage/items/{item.public_id}", headers=bearer(staff)).status_code == 404
        patched = client.patch(
            f"/v1/shop/manage/items/{item.public_id}",
            headers=bearer(staff),
            json={"price": {"amount": 1, "currency": "EUR"}},
        )
        assert patched.status_code == 404
    refused = client.post(
        "/v1/shop/manage/items", headers=bearer(world.sister_librarian), json=_item_body(world.library)
    )
    assert refused.status_code == 404
    # a librarian cannot make network items
    assert client.post("/v1/shop/manage/items", headers=bearer(world.librarian), json=_item_body()).status_code == 404
    db.rollback()
    assert db.get(ShopItem, item.id).price == 500 and _count(db) == 1


def test_a_network_admin_sells_a_network_item_in_the_libraries_listed(client, db, app_ctx):
    world = make_world(db)
    body = _item_body(library_ids=[world.sister.public_id], category="printing", stock=None, vat="out_of_scope")
    created = client.post("/v1/shop/manage/items", headers=bearer(world.admin), json=body)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["library_id"] is None and item["library_ids"] == [world.sister.public_id] and item["pickup"] is False
    patron = world.patrons[0]
    sister = client.get(f"/v1/shop/libraries/{world.sister.public_id}/items", headers=bearer(patron)).get_json()
    assert [i["id"] for i in sister["data"]] == [item["id"]]
    libraries = client.get("/v1/shop/libraries", headers=bearer(patron)).get_json()
    assert [(lib["id"], lib["categories"]) for lib in libraries] == [(world.sister.public_id, ["printing"])]
    here = client.get(f"/v1/shop/libraries/{world.library.public_id}/items", headers=bearer(patron)).get_json()
    assert here["data"] == []
    # every library of the network when none is listed
    patched = client.patch(f"/v1/shop/manage/items/{item['id']}", headers=bearer(world.admin), json={"library_ids": []})
    assert patched.status_code == 200
    here = client.get(f"/v1/shop/libraries/{world.library.public_id}/items", headers=bearer(patron)).get_json()
    assert [i["id"] for i in here["data"]] == [item["id"]]
    libraries = client.get("/v1/shop/libraries", headers=bearer(patron)).get_json()
    assert sorted((lib["id"], tuple(lib["categories"])) for lib in libraries) == sorted(
        [(world.library.public_id, ("printing",)), (world.sister.public_id, ("printing",))]
    )
    # never in another network's library, and another network's library cannot be listed
    other = client.get(f"/v1/shop/libraries/{world.other_library.public_id}/items", headers=bearer(patron)).get_json()
    assert other["data"] == []
    refused = client.patch(
        f"/v1/shop/manage/items/{item['id']}",
        headers=bearer(world.admin),
        json={"library_ids": [world.other_library.public_id]},
    )
    assert refused.status_code == 404


def test_inactive_and_out_of_window_items_are_not_on_sale(client, db, app_ctx):
    world = make_world(db)
    now = utcnow()
    make_item(db, world.library, active=False)
    make_item(db, world.library, active_from=now + timedelta(days=1))
    make_item(db, world.library, active_to=now - timedelta(days=1))
    on_sale = make_item(db, world.library, category="used_books", name="Il nome della rosa")
    page = client.get(
        f"/v1/shop/libraries/{world.library.public_id}/items?category=used_books", headers=bearer(world.patrons[0])
    ).get_json()
    assert [i["id"] for i in page["data"]] == [on_sale.public_id]
    page = client.get(f"/v1/shop/libraries/{world.library.public_id}/items", headers=bearer(world.patrons[0]))
    assert [i["id"] for i in page.get_json()["data"]] == [on_sale.public_id]


def test_bad_catalogue_input_is_a_400_and_nothing_is_created(client, db, app_ctx):
    world = make_world(db)
    for bad in (
        _item_body(world.library, price={"amount": 0, "currency": "EUR"}),
        _item_body(world.library, price={"amount": -5, "currency": "EUR"}),
        _item_body(world.library, stock=-1),
        _item_body(world.library, category="weapons"),
        _item_body(world.library, vat="vat_99"),
        _item_body(world.library, image_url="http://example.org/a.png"),
        _item_body(world.library, active=1),
        _item_body(world.library, active_from="2026-12-10T00:00:00Z", active_to="2026-12-01T00:00:00Z"),
    ):
        response = client.post("/v1/shop/manage/items", headers=bearer(world.librarian), json=bad)
        assert response.status_code == 400, (bad, response.get_json())
        assert response.get_json()["error"]["code"] == "validation_error"
    assert _count(db) == 0
    unknown = client.post(
        "/v1/shop/manage/items", headers=bearer(world.librarian), json=_item_body(library_id="lib_nope")
    )
    assert unknown.status_code == 404 and _count(db) == 0
