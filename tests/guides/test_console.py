"""Socialbook in the staff console: create a guide, add by ISBN, import, reorder, publish; kits calendar,
pick-up and return; another network's guide or kit is a 404."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from backend.guides.models import Guide, GuideItem, KitReservation
from tests.events.helpers import assert_audit_clean, balance
from tests.guides.helpers import ISBNS, make_world
from tests.guides.kit_helpers import create_kit, days_pass, reserve
from tests.support.ledger import fund_wallet

PASSWORD = "staff-password"


def _csrf(client, path="/console/login") -> str:
    text = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _login(client, who):
    response = client.post(
        "/console/login", data={"email": who.email, "password": PASSWORD, "csrf_token": _csrf(client)}
    )
    assert response.status_code == 302


def _post(client, path, data, *, page, **kwargs):
    return client.post(path, data={"csrf_token": _csrf(client, page), **data}, **kwargs)


def _guide(db, title):
    db.expire_all()
    guide = db.scalar(select(Guide).where(Guide.title_it == title))
    db.commit()
    return guide


def test_a_curator_creates_fills_orders_and_publishes_a_guide(client, db):
    world = make_world(db)
    _login(client, world.librarian)
    response = _post(
        client,
        "/console/guides",
        {
            "title_it": "Milano noir",
            "theme": "noir",
            "age_min": "16",
            "curator": world.library.public_id,
            "visibility": "everyone",
            "tags": "gialli milano",
        },
        page="/console/guides",
    )
    assert response.status_code == 302
    guide = _guide(db, "Milano noir")
    page = f"/console/guides/{guide.public_id}"
    assert guide.state == "draft" and guide.age_min == 16 and guide.tags == "gialli milano"

    response = _post(
        client,
        f"{page}/items",
        {"isbn": "88-04-47328-2", "title": "Il nome della rosa", "note": "Non è un noir, ma quasi"},
        page=page,
    )
    assert response.status_code == 302
    response = _post(client, f"{page}/items", {"isbn": "88-04-47328-3"}, page=page)
    assert response.status_code == 422 and "Codice ISBN non valido" in response.get_data(as_text=True)

    csv = f"isbn,note\n{ISBNS[0]},Primo\nnope,x\n".encode()
    response = _post(
        client,
        f"{page}/import",
        {"format": "csv", "file": (io.BytesIO(csv), "lista.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 titoli aggiunti, 1 righe scartate" in text
    assert 'id="import-report"' in text

    db.expire_all()
    items = db.scalars(select(GuideItem).where(GuideItem.guide_id == guide.id).order_by(GuideItem.position)).all()
    db.commit()
    assert [i.record.isbn for i in items] == ["9788804473282", ISBNS[0]]
    response = _post(client, f"{page}/items/{items[1].public_id}/move", {"direction": "up"}, page=page)
    assert response.status_code == 302
    db.expire_all()
    order = [
        i.record.isbn
        for i in db.scalars(select(GuideItem).where(GuideItem.guide_id == guide.id).order_by(GuideItem.position))
    ]
    db.commit()
    assert order == [ISBNS[0], "9788804473282"]

    assert _post(client, f"{page}/publish", {}, page=page).status_code == 302
    assert _guide(db, "Milano noir").state == "published"
    text = client.get(page).get_data(as_text=True)
    assert "Pubblicata" in text and "Riporta in bozza" in text


def test_bad_guide_forms_are_refused_and_change_nothing(client, db):
    world = make_world(db)
    _login(client, world.librarian)
    response = _post(
        client,
        "/console/guides",
        {"title_it": "", "theme": "x", "curator": world.library.public_id},
        page="/console/guides",
    )
    assert response.status_code == 400
    response = _post(
        client,
        "/console/guides",
        {"title_it": "Altrove", "theme": "x", "curator": world.other_library.public_id},
        page="/console/guides",
    )
    assert response.status_code == 404
    assert _guide(db, "Altrove") is None
    response = _post(
        client,
        "/console/guides",
        {"title_it": "Senza titoli", "theme": "x", "curator": world.library.public_id},
        page="/console/guides",
    )
    guide = _guide(db, "Senza titoli")
    page = f"/console/guides/{guide.public_id}"
    response = _post(client, f"{page}/publish", {}, page=page)
    assert response.status_code == 422 and _guide(db, "Senza titoli").state == "draft"


def test_another_networks_guide_and_kit_are_404_in_the_console(client, db):
    world = make_world(db)
    _login(client, world.other_librarian)
    db.add(Guide(network=world.network, library=world.library, title_it="Nostra", theme="x", created_by="t"))
    db.commit()
    guide = _guide(db, "Nostra")
    assert client.get(f"/console/guides/{guide.public_id}").status_code == 404
    assert "Nostra" not in client.get("/console/guides").get_data(as_text=True)


def test_kits_calendar_pick_up_and_return_in_the_console(client, db):
    world = make_world(db)
    fund_wallet(db, world.patrons[0], 10_000)
    db.commit()
    _login(client, world.librarian)
    response = _post(
        client,
        "/console/kits",
        {
            "title": "Valigia dei diritti",
            "library": world.library.public_id,
            "units": "2",
            "loan_days": "10",
            "deposit": "20,00",
            "fee": "5",
            "late_fee_per_day": "0",
        },
        page="/console/kits",
    )
    assert response.status_code == 302
    kit_path = response.headers["Location"].split("?")[0]
    kit_id = kit_path.rsplit("/", 1)[1]
    reservation = reserve(client, world.patrons[0], kit_id, 1, 3, library=world.library).json
    text = client.get(kit_path).get_data(as_text=True)
    assert "1 / 2" in text and "Prenotato" in text

    days_pass(db, reservation["id"], 1)
    text = client.get(kit_path).get_data(as_text=True)
    form_key = re.search(r'name="form_key" value="([^"]+)"', text).group(1)
    action = f"{kit_path}/reservations/{reservation['id']}/pickup"
    for _ in range(2):  # a double click books once
        response = _post(client, action, {"form_key": form_key}, page=kit_path)
        assert response.status_code == 302
    assert balance(db, world.patrons[0]) == 7_500
    text = client.get(kit_path).get_data(as_text=True)
    form_key = re.search(r'name="form_key" value="([^"]+)"', text).group(1)
    response = _post(
        client, f"{kit_path}/reservations/{reservation['id']}/return", {"form_key": form_key}, page=kit_path
    )
    assert response.status_code == 302
    assert balance(db, world.patrons[0]) == 9_500
    db.expire_all()
    assert db.scalar(select(KitReservation.state)) == "returned"
    db.commit()
    assert_audit_clean(db)
    response = _post(
        client,
        "/console/kits",
        {"title": "x", "library": world.library.public_id, "units": "0", "loan_days": "10"},
        page="/console/kits",
    )
    assert response.status_code == 400


def test_console_kit_of_another_library_is_404(client, db):
    world = make_world(db)
    kit = create_kit(client, world)
    _login(client, world.other_librarian)
    assert client.get(f"/console/kits/{kit['id']}").status_code == 404
