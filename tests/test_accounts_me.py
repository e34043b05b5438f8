"""The patron's own account: profile, email + password, reset, membership code, privacy."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.accounts import membership
from backend.accounts.models import AuthSession, OutgoingMessage, Patron
from tests.accounts_helpers import auth, card_sign_in, count
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff


@pytest.fixture
def world(db):
    network = make_network(db)
    library = make_library(db, network)
    alice = make_patron(db, network, library, pin="2468", card="ALICE001")
    bob = make_patron(db, network, library, pin="1357", card="BOB00001")
    librarian = make_staff(db, "librarian", network, libraries=[make_library(db, network)])
    db.commit()
    return {"alice": alice, "bob": bob, "librarian": librarian, "library": library}


def _last_code(db, to_email):
    db.rollback()
    message = db.scalar(
        select(OutgoingMessage).where(OutgoingMessage.to_email == to_email).order_by(OutgoingMessage.id.desc())
    )
    found = re.search(r"(?:codice|code) (\S+)", message.body).group(1), message.purpose, message.subject
    db.rollback()
    return found


def test_me_shows_only_my_profile_and_updates_language_and_phone(client, app_ctx, world):
    headers = bearer(world["alice"])
    me = client.get("/v1/me", headers=headers).get_json()
    assert me["card_number"] == "ALICE001" and me["home_library"]["id"] == world["library"].public_id
    updated = client.patch("/v1/me", json={"language": "en", "phone": "+39 333 1234567"}, headers=headers)
    assert updated.status_code == 200 and updated.get_json()["language"] == "en"
    assert client.get("/v1/me", headers=bearer(world["bob"])).get_json()["language"] == "it"


def test_bad_profile_update_is_a_400_and_changes_nothing(client, db, app_ctx, world):
    response = client.patch(
        "/v1/me", json={"language": "fr", "phone": "+39 333 1234567"}, headers=bearer(world["alice"])
    )
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "language"
    db.expire_all()
    assert db.get(Patron, world["alice"].id).phone is None


def test_email_and_password_after_verification_then_password_sign_in(client, db, app_ctx, world):
    headers = bearer(world["alice"])
    wrong = client.post(
        "/v1/me/credentials",
        headers=headers,
        json={"pin": "0000", "email": "alice@example.org", "password": "a long passphrase"},
    )
    assert wrong.status_code == 422 and count(db, OutgoingMessage) == 0
    response = client.post(
        "/v1/me/credentials",
        headers=headers,
        json={"pin": "2468", "email": "Alice@Example.org", "password": "a long passphrase"},
    )
    assert response.status_code == 202
    sign_in = {"email": "alice@example.org", "password": "a long passphrase"}
    # Not before the address is verified.
    assert client.post("/v1/auth/patron/password", json=sign_in).status_code == 401
    code, purpose, subject = _last_code(db, "alice@example.org")
    assert purpose == "verify_email" and "Conferma" in subject
    verified = client.post("/v1/auth/email/verify", json={"token": code})
    assert verified.status_code == 200 and verified.get_json()["login_email"] == "alice@example.org"
    assert client.post("/v1/auth/email/verify", json={"token": code}).status_code == 422  # used once
    tokens = client.post("/v1/auth/patron/password", json=sign_in)
    assert tokens.status_code == 201
    assert client.get("/v1/me", headers=auth(tokens.get_json()["access_token"])).get_json()["card_number"] == "ALICE001"


def test_pin_reset_by_emailed_code_signs_out_every_device(client, db, world):
    old = card_sign_in(client, "ALICE001", "2468").get_json()
    assert client.post("/v1/auth/reset", json={"what": "pin", "card_number": "ALICE001"}).status_code == 202
    unknown = client.post("/v1/auth/reset", json={"what": "pin", "card_number": "NOBODY99"})
    assert unknown.status_code == 202 and count(db, OutgoingMessage) == 1
    code, purpose, _ = _last_code(db, world["alice"].email)
    assert purpose == "reset_pin"
    bad = client.post("/v1/auth/reset/confirm", json={"token": code, "new_secret": "12"})
    assert bad.status_code == 400  # not a PIN: nothing changed, the code still works
    assert client.post("/v1/auth/reset/confirm", json={"token": code, "new_secret": "8642"}).status_code == 200
    assert client.get("/v1/me", headers=auth(old["access_token"])).status_code == 401
    assert card_sign_in(client, "ALICE001", "2468").status_code == 401
    assert card_sign_in(client, "ALICE001", "8642").status_code == 201
    assert client.post("/v1/auth/reset/confirm", json={"token": code, "new_secret": "1111"}).status_code == 422


def test_membership_code_identifies_the_patron_at_the_desk(client, app_ctx, world):
    shown = client.get("/v1/me/membership", headers=bearer(world["alice"])).get_json()
    assert shown["qr_svg"].startswith("data:image/svg+xml")
    found = client.post("/v1/patrons/identify", json={"token": shown["token"]}, headers=bearer(world["librarian"]))
    assert found.status_code == 200 and found.get_json()["id"] == world["alice"].public_id


def test_membership_code_expires_and_cannot_be_tampered_with(client, app_ctx, world):
    librarian = bearer(world["librarian"])
    stale, _ = membership.issue(world["alice"], app_ctx.config["SETTINGS"], now=1_000_000.0)
    response = client.post("/v1/patrons/identify", json={"token": stale}, headers=librarian)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_membership_token"
    current, _ = membership.issue(world["alice"], app_ctx.config["SETTINGS"])
    card, code = current.rsplit(".", 1)
    # Alice's code does not work with Bob's card.
    moved = client.post("/v1/patrons/identify", json={"token": f"BOB00001.{code}"}, headers=librarian)
    assert moved.status_code == 422


def test_export_contains_my_data_and_nobody_elses(client, app_ctx, world):
    data = client.get("/v1/me/export", headers=bearer(world["alice"])).get_json()
    assert data["account"]["card_number"] == "ALICE001"
    assert "BOB00001" not in str(data)


def test_deleting_my_account_pseudonymises_and_signs_out(client, db, world):
    pair = card_sign_in(client, "ALICE001", "2468").get_json()
    email, last_name = world["alice"].email, world["alice"].last_name
    assert client.delete("/v1/me", headers=auth(pair["access_token"])).status_code == 204
    assert client.get("/v1/me", headers=auth(pair["access_token"])).status_code == 401
    assert client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert card_sign_in(client, "ALICE001", "2468").status_code == 401
    db.expire_all()
    row = db.get(Patron, world["alice"].id)  # the row stays, so financial records keep their owner
    assert row.status == "deleted" and row.deleted_at is not None
    assert email not in (row.email, row.login_email) and row.card_number != "ALICE001"
    assert row.last_name != last_name and row.pin_hash is None
    assert db.scalar(select(AuthSession.device_name).where(AuthSession.patron_id == row.id)) == ""
    assert db.get(Patron, world["bob"].id).status == "active"


def test_deletion_is_refused_while_the_wallet_holds_money(client, db, app_ctx, world):
    from tests.support.ledger import fund_wallet

    fund_wallet(db, world["alice"], 1250)
    db.commit()
    response = client.delete("/v1/me", headers=bearer(world["alice"]))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "wallet_not_empty" and error["balance"] == {"amount": 1250, "currency": "EUR"}
    assert "12,50" in error["message"]
    db.expire_all()
    assert db.get(Patron, world["alice"].id).status == "active"
