"""Sign-in with card + PIN, tokens, refresh rotation, lockout, sessions."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from backend.accounts.models import AuthSession, Patron, RefreshToken
from backend.accounts.signin import MAX_FAILURES
from backend.db import utcnow
from tests.accounts_helpers import auth, card_sign_in, count
from tests.support.factories import make_library, make_network, make_patron, make_staff


@pytest.fixture
def patron(db):
    network = make_network(db)
    patron = make_patron(db, network, make_library(db, network), pin="2468", status="pending", card="RHO00042")
    db.commit()
    return patron


def test_first_card_sign_in_activates_the_account_and_opens_a_session(client, db, patron):
    response = card_sign_in(client, "rho00042", "2468", device="Pixel 8")
    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["refresh_token"].startswith("rt_")
    me = client.get("/v1/me", headers=auth(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["card_number"] == "RHO00042"
    assert me.get_json()["status"] == "active"
    sessions = client.get("/v1/auth/sessions", headers=auth(body["access_token"])).get_json()["data"]
    assert [(s["device_name"], s["current"]) for s in sessions] == [("Pixel 8", True)]


def test_unknown_card_and_wrong_pin_get_the_same_answer_and_change_nothing(client, db, patron):
    wrong_pin = card_sign_in(client, "RHO00042", "0000")
    unknown = card_sign_in(client, "NOSUCHCARD", "2468")
    assert wrong_pin.status_code == unknown.status_code == 401
    assert wrong_pin.get_json() == unknown.get_json()
    assert wrong_pin.get_json()["error"]["code"] == "invalid_credentials"
    assert count(db, AuthSession) == 0
    db.expire_all()
    assert db.get(Patron, patron.id).status == "pending"


def test_repeated_wrong_pins_lock_the_card_even_for_the_right_pin(client, db, patron):
    for _ in range(MAX_FAILURES):
        assert card_sign_in(client, "RHO00042", "9999").status_code == 401
    locked = card_sign_in(client, "RHO00042", "2468")
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0
    assert count(db, AuthSession) == 0


def test_an_unknown_card_locks_out_exactly_like_a_known_one(client, db, patron):
    answers = [card_sign_in(client, "GHOST0001", "9999").status_code for _ in range(MAX_FAILURES + 1)]
    assert answers == [401] * MAX_FAILURES + [429]


def test_the_lockout_ends_and_a_success_forgets_earlier_failures(client, db, patron):
    from backend.accounts.models import SignInThrottle

    for _ in range(MAX_FAILURES):
        card_sign_in(client, "RHO00042", "9999")
    db.rollback()
    throttle = db.scalar(select(SignInThrottle))
    throttle.locked_until = utcnow() - timedelta(seconds=1)
    db.commit()
    assert card_sign_in(client, "RHO00042", "2468").status_code == 201
    assert count(db, SignInThrottle) == 0


def test_per_address_rate_limit_answers_429_in_the_common_shape(client, db, patron):
    statuses = [card_sign_in(client, f"CARD{i:06d}", "1111").status_code for i in range(31)]
    assert statuses[-1] == 429 and set(statuses[:30]) == {401}


def test_refresh_rotates_and_the_old_token_stops_working(client, db, patron):
    first = card_sign_in(client, "RHO00042", "2468").get_json()
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    pair = second.get_json()
    assert pair["refresh_token"] != first["refresh_token"] and pair["session_id"] == first["session_id"]
    assert client.get("/v1/me", headers=auth(pair["access_token"])).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client, db, patron):
    first = card_sign_in(client, "RHO00042", "2468").get_json()
    stolen = first["refresh_token"]
    legit = client.post("/v1/auth/refresh", json={"refresh_token": stolen}).get_json()
    replay = client.post("/v1/auth/refresh", json={"refresh_token": stolen})
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "invalid_refresh_token"
    # The legitimate device is signed out too: its refresh and access tokens are refused.
    assert client.post("/v1/auth/refresh", json={"refresh_token": legit["refresh_token"]}).status_code == 401
    assert client.get("/v1/me", headers=auth(legit["access_token"])).status_code == 401
    db.rollback()
    assert db.scalar(select(AuthSession.revoked_reason)) == "refresh_reuse"


def test_unknown_refresh_token_is_refused(client, db, patron):
    response = client.post("/v1/auth/refresh", json={"refresh_token": "rt_made-up"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_refresh_token"
    assert count(db, RefreshToken) == 0


def test_logout_stops_the_access_token_and_logout_everywhere_stops_all(client, db, patron):
    phone = card_sign_in(client, "RHO00042", "2468", "phone").get_json()
    tablet = card_sign_in(client, "RHO00042", "2468", "tablet").get_json()
    laptop = card_sign_in(client, "RHO00042", "2468", "laptop").get_json()
    assert client.post("/v1/auth/logout", headers=auth(phone["access_token"])).status_code == 204
    assert client.get("/v1/me", headers=auth(phone["access_token"])).status_code == 401
    assert client.get("/v1/me", headers=auth(tablet["access_token"])).status_code == 200
    listed = client.get("/v1/auth/sessions", headers=auth(tablet["access_token"])).get_json()["data"]
    assert sorted(s["device_name"] for s in listed) == ["laptop", "tablet"]
    assert client.post("/v1/auth/logout-all", headers=auth(tablet["access_token"])).status_code == 204
    for pair in (tablet, laptop):
        assert client.get("/v1/me", headers=auth(pair["access_token"])).status_code == 401
        assert client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401


def test_a_patron_cannot_sign_out_someone_elses_device(client, db, patron):
    other = make_patron(db, patron.home_network, pin="1357", card="RHO00077")
    db.commit()
    mine = card_sign_in(client, "RHO00042", "2468").get_json()
    theirs = card_sign_in(client, "RHO00077", "1357").get_json()
    response = client.delete(f"/v1/auth/sessions/{theirs['session_id']}", headers=auth(mine["access_token"]))
    assert response.status_code == 404
    assert client.get("/v1/me", headers=auth(theirs["access_token"])).status_code == 200
    assert other.id  # still there
    own = client.delete(f"/v1/auth/sessions/{mine['session_id']}", headers=auth(mine["access_token"]))
    assert own.status_code == 204


def test_staff_sign_in_with_email_and_password(client, db):
    network = make_network(db)
    user = make_staff(db, "librarian", network, libraries=[make_library(db, network)], password="correct horse")
    db.commit()
    bad = client.post("/v1/auth/staff/password", json={"email": user.email, "password": "wrong horse"})
    assert bad.status_code == 401
    good = client.post("/v1/auth/staff/password", json={"email": user.email.upper(), "password": "correct horse"})
    assert good.status_code == 201
    me = client.get("/v1/auth/staff/me", headers=auth(good.get_json()["access_token"])).get_json()
    assert me["role"] == "librarian" and len(me["libraries"]) == 1


# --- tokens that must be refused --------------------------------------------------------


def _claims(patron, **overrides):
    now = utcnow()
    claims = {
        "sub": patron.public_id,
        "role": "patron",
        "net": "x",
        "iss": "borsellino",
        "aud": "borsellino-api",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return claims


KEY = "test-signing-key-0123456789abcdef"  # k2026 in tests/conftest.py


# The hs512 case signs with the real key under another algorithm: PyJWT warns that the key is short for it.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize(
    "case",
    [
        "valid",
        "expired",
        "forged",
        "alg_none",
        "wrong_audience",
        "wrong_issuer",
        "unknown_kid",
        "kid_of_the_other_key",
        "hs512",
    ],
)
def test_forged_or_stale_access_tokens_are_refused(client, db, patron, case):
    claims, key, headers, alg = _claims(patron), KEY, {"kid": "k2026"}, "HS256"
    if case == "expired":
        claims["exp"] = utcnow() - timedelta(seconds=5)
    elif case == "forged":
        key = "not-the-key-0123456789abcdef0000"
    elif case == "wrong_audience":
        claims["aud"] = "someone-else"
    elif case == "wrong_issuer":
        claims["iss"] = "evil"
    elif case == "unknown_kid":
        headers = {"kid": "k1999"}
    elif case == "kid_of_the_other_key":  # signed with k2026, header naming k2025
        headers = {"kid": "k2025"}
    elif case == "hs512":
        alg = "HS512"
    if case == "alg_none":
        token = jwt.encode(claims, None, algorithm="none", headers=headers)
    else:
        token = jwt.encode(claims, key, algorithm=alg, headers=headers)
    response = client.get("/v1/me", headers=auth(token))
    if case == "valid":
        assert response.status_code == 200
    else:
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthenticated"


def test_an_older_key_still_verifies_during_rotation(client, db, patron):
    token = jwt.encode(
        _claims(patron), "older-key-0123456789abcdef0123456789", algorithm="HS256", headers={"kid": "k2025"}
    )
    assert client.get("/v1/me", headers=auth(token)).status_code == 200


def test_staff_password_reset_by_emailed_code(client, db):
    import re

    from backend.accounts.models import OutgoingMessage

    network = make_network(db)
    user = make_staff(db, "finance", network, password="old password!")
    db.commit()
    old = client.post("/v1/auth/staff/password", json={"email": user.email, "password": "old password!"}).get_json()
    assert client.post("/v1/auth/staff/reset", json={"email": user.email}).status_code == 202
    assert client.post("/v1/auth/staff/reset", json={"email": "nobody@example.org"}).status_code == 202
    with db.get_bind().connect() as conn:
        bodies = conn.execute(select(OutgoingMessage.body, OutgoingMessage.to_email)).all()
    assert [to for _, to in bodies] == [user.email]
    code = re.search(r"(?:codice|code) (\S+)", bodies[0][0]).group(1)
    short = client.post("/v1/auth/reset/confirm", json={"token": code, "new_secret": "short"})
    assert short.status_code == 400
    assert client.post("/v1/auth/reset/confirm", json={"token": code, "new_secret": "new password!"}).status_code == 200
    assert client.get("/v1/auth/staff/me", headers=auth(old["access_token"])).status_code == 401
    assert (
        client.post("/v1/auth/staff/password", json={"email": user.email, "password": "old password!"}).status_code
        == 401
    )
    assert (
        client.post("/v1/auth/staff/password", json={"email": user.email, "password": "new password!"}).status_code
        == 201
    )


def test_repeated_wrong_passwords_lock_the_staff_email(client, db):
    network = make_network(db)
    user = make_staff(db, "admin", network, password="right password")
    db.commit()
    for _ in range(MAX_FAILURES):
        client.post("/v1/auth/staff/password", json={"email": user.email, "password": "wrong"})
    locked = client.post("/v1/auth/staff/password", json={"email": user.email, "password": "right password"})
    assert locked.status_code == 429 and locked.get_json()["error"]["code"] == "too_many_attempts"
