"""Patron records by librarians, the batch import, and the admin API."""

from __future__ import annotations

import pytest

from backend.accounts.models import Library, Patron, StaffUser
from tests.accounts_helpers import card_sign_in, count
from tests.support.factories import bearer, make_library, make_network, make_staff


@pytest.fixture
def net(db):
    network = make_network(db)
    mine, theirs = make_library(db, network, "MINE"), make_library(db, network, "THEIRS")
    librarian = make_staff(db, "librarian", network, libraries=[mine])
    admin = make_staff(db, "admin", network)
    db.commit()
    return {"network": network, "mine": mine, "theirs": theirs, "librarian": librarian, "admin": admin}


def _new(library, card="NEW00001"):
    return {
        "card_number": card,
        "first_name": "Ada",
        "last_name": "Neri",
        "home_library_id": library.public_id,
        "pin": "4321",
        "email": "ada@example.org",
    }


def test_a_librarian_registers_a_patron_who_then_activates(client, db, app_ctx, net):
    created = client.post("/v1/patrons", json=_new(net["mine"]), headers=bearer(net["librarian"]))
    assert created.status_code == 201 and created.get_json()["status"] == "pending"
    assert card_sign_in(client, "NEW00001", "4321").status_code == 201
    found = client.get("/v1/patrons/lookup?card_number=new00001", headers=bearer(net["librarian"]))
    assert found.get_json()["status"] == "active"


def test_registering_outside_my_libraries_or_twice_changes_nothing(client, db, app_ctx, net):
    headers = bearer(net["librarian"])
    outside = client.post("/v1/patrons", json=_new(net["theirs"]), headers=headers)
    assert outside.status_code == 404 and count(db, Patron) == 0
    assert client.post("/v1/patrons", json=_new(net["mine"]), headers=headers).status_code == 201
    again = client.post("/v1/patrons", json={**_new(net["mine"]), "first_name": "Other"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "card_number_taken"
    assert count(db, Patron) == 1
    bad_pin = client.post("/v1/patrons", json={**_new(net["mine"], "NEW00002"), "pin": "12ab"}, headers=headers)
    assert bad_pin.status_code == 400 and bad_pin.get_json()["error"]["param"] == "pin"


def test_batch_import_is_idempotent_by_card_number(client, db, app_ctx, net):
    other = make_network(db)
    db.add(Patron(card_number="FOREIGN01", home_network=other, first_name="X", last_name="Y", pin_hash="x"))
    db.commit()
    rows = [
        {"card_number": "IMP00001", "first_name": "Uno", "last_name": "A", "library_code": "MINE", "pin": "1111"},
        {"card_number": "IMP00002", "first_name": "Due", "last_name": "B", "pin": "2222"},
        {"card_number": "FOREIGN01", "first_name": "Tre", "last_name": "C", "pin": "3333"},
    ]
    first = client.post("/v1/patrons/batch", json={"patrons": rows}, headers=bearer(net["admin"])).get_json()
    assert [r["result"] for r in first["data"]] == ["created", "created", "rejected"]
    again = client.post("/v1/patrons/batch", json={"patrons": rows}, headers=bearer(net["admin"])).get_json()
    assert [r["result"] for r in again["data"]] == ["unchanged", "unchanged", "rejected"]
    rows[1]["last_name"] = "Bis"
    third = client.post("/v1/patrons/batch", json={"patrons": rows}, headers=bearer(net["admin"])).get_json()
    assert [r["result"] for r in third["data"]] == ["unchanged", "updated", "rejected"]
    assert count(db, Patron) == 3
    db.expire_all()
    assert db.query(Patron).filter_by(card_number="FOREIGN01").one().first_name == "X"


def test_admin_adds_libraries_and_staff_in_their_network_only(client, db, app_ctx, net):
    headers = bearer(net["admin"])
    library = client.post("/v1/admin/libraries", json={"code": "NEWLIB", "name": "Nuova"}, headers=headers)
    assert library.status_code == 201
    staff = client.post(
        "/v1/admin/staff",
        headers=headers,
        json={
            "email": "New.Librarian@example.org",
            "name": "Nuova",
            "role": "librarian",
            "password": "a long passphrase",
            "library_ids": [library.get_json()["id"]],
        },
    )
    assert staff.status_code == 201 and staff.get_json()["email"] == "new.librarian@example.org"
    foreign = make_library(db, make_network(db))
    db.commit()
    refused = client.post(
        "/v1/admin/staff",
        headers=headers,
        json={
            "email": "x@example.org",
            "name": "X",
            "role": "librarian",
            "password": "a long passphrase",
            "library_ids": [foreign.public_id],
        },
    )
    assert refused.status_code == 422 and count(db, StaffUser, StaffUser.email == "x@example.org") == 0
    signed_in = client.post(
        "/v1/auth/staff/password", json={"email": "new.librarian@example.org", "password": "a long passphrase"}
    )
    assert signed_in.status_code == 201
    deactivated = client.post(f"/v1/admin/staff/{staff.get_json()['id']}/deactivate", headers=headers)
    assert deactivated.status_code == 200
    token = signed_in.get_json()["access_token"]
    assert client.get("/v1/auth/staff/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert count(db, Library) == 4


def test_another_networks_librarian_sees_who_the_patron_is_but_not_how_to_contact_them(client, db, app_ctx, net):
    from tests.support.factories import make_patron

    patron = make_patron(db, net["network"], net["mine"], card="CROSS0001")
    patron.phone = "+39 02 7654321"
    elsewhere = make_network(db)
    visitor = make_staff(db, "librarian", elsewhere, libraries=[make_library(db, elsewhere)])
    db.commit()
    code = client.get("/v1/me/membership", headers=bearer(patron)).get_json()["token"]

    seen = [
        client.get("/v1/patrons/lookup?card_number=CROSS0001", headers=bearer(visitor)),
        client.post("/v1/patrons/identify", json={"token": code}, headers=bearer(visitor)),
        client.get(f"/v1/patrons/{patron.public_id}", headers=bearer(visitor)),
    ]
    for response in seen:
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["email"] is None and body["phone"] is None
        assert (body["card_number"], body["first_name"], body["home_library"]["id"]) == (
            "CROSS0001",
            patron.first_name,
            net["mine"].public_id,
        )
    assert "+39 02 7654321" not in str([r.get_json() for r in seen]) and patron.email not in str(
        [r.get_json() for r in seen]
    )

    own = client.get("/v1/patrons/lookup?card_number=CROSS0001", headers=bearer(net["librarian"])).get_json()
    assert own["email"] == patron.email and own["phone"] == "+39 02 7654321"
