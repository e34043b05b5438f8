"""The pass: offline-verifiable with the JWKS alone, tied to one phone, useless as a screenshot."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from backend.config import Settings
from backend.db import utcnow
from backend.partners import passes
from backend.partners.pass_code import PassRefused, Verifier, show_code
from backend.partners.passkeys import jwks
from tests.partners.helpers import Phone, make_offer, make_world, post_redemption, redeem_body, redemption_count
from tests.support.factories import bearer


def _verifier(client) -> Verifier:
    response = client.get("/v1/partners/keys")
    assert response.status_code == 200
    return Verifier(response.get_json())


def test_pass_verifies_offline_with_only_the_published_keys_and_shows_only_first_name_initial_age_band(client, db):
    world = make_world(db)
    patron = world.patrons[0]
    phone = Phone()
    issued = phone.sync(client, patron)
    verified = _verifier(client).verify(phone.code(), at=utcnow())
    assert verified.pass_id == issued["id"]
    assert (verified.first_name, verified.initial) == (patron.first_name, patron.last_name[0] + ".")
    assert issued["holder"] == {"first_name": patron.first_name, "initial": patron.last_name[0] + ".", "age_band": None}
    claims = jwt.decode(issued["token"], options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "jti", "dk", "net", "fn", "li", "ab", "iat", "exp"}
    assert patron.last_name not in issued["token"] and patron.card_number not in str(claims)
    # valid offline for at least 24 h after the sync
    assert _verifier(client).verify(phone.code(utcnow() + timedelta(hours=24)), at=utcnow() + timedelta(hours=24))


def test_screenshot_stops_working_within_two_minutes(client, db):
    world = make_world(db)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    verifier = _verifier(client)
    now = utcnow()
    shot = phone.code(now)
    verifier.verify(shot, at=now + timedelta(seconds=50))
    with pytest.raises(PassRefused) as refused:
        verifier.verify(shot, at=now + timedelta(minutes=2))
    assert refused.value.reason == "stale"

    offer = make_offer(db, world)
    old = phone.code(now - timedelta(minutes=3))
    response = post_redemption(client, world, redeem_body(world, offer, old))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "pass_stale"
    assert redemption_count(db) == 0


def test_tampered_and_forwarded_passes_are_refused(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    code = phone.code()
    token, minute, signature = code.split("~")
    header, payload, sig = token.split(".")
    forged_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    tampered = "~".join([".".join([header, forged_payload, sig]), minute, signature])
    # someone else's phone signing the minute with its own key
    thief = Phone()
    forwarded = show_code(token, phone.pass_json["id"], thief.key, utcnow())
    for bad in (tampered, forwarded, "not-a-pass", code.replace("~", "~1", 1)):
        response = post_redemption(client, world, redeem_body(world, offer, bad))
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["code"] == "pass_invalid"
    assert redemption_count(db) == 0


def test_expired_pass_is_refused_online_and_offline(client, db, app):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    settings = app.config["SETTINGS"]
    patron = world.patrons[0]
    long_ago = utcnow() - timedelta(hours=49)
    issued = passes.issue_pass(db, settings, patron, phone.device_key, now=long_ago)
    db.commit()
    phone.pass_json = {"token": issued.token, "id": issued.pass_.public_id}
    with pytest.raises(PassRefused, match="expired"):
        Verifier(jwks(settings)).verify(phone.code(), at=utcnow())
    response = post_redemption(client, world, redeem_body(world, offer, phone.code()))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "pass_expired"


def test_revoked_pass_is_refused_and_listed_for_offline_tills(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    assert client.post("/v1/partners/pass/revoke", headers=bearer(world.patrons[0])).status_code == 204
    response = post_redemption(client, world, redeem_body(world, offer, phone.code()))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "pass_revoked"
    listed = client.get("/v1/partners/revocations", headers=bearer(world.till)).get_json()
    assert phone.pass_json["id"] in listed["passes"]
    assert redemption_count(db) == 0


def test_a_new_phone_revokes_the_old_one_and_the_same_phone_keeps_its_pass(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    first, second = Phone(), Phone()
    first_pass = first.sync(client, world.patrons[0])
    assert first.sync(client, world.patrons[0])["id"] == first_pass["id"]  # renewal, same pass
    second.sync(client, world.patrons[0])
    response = post_redemption(client, world, redeem_body(world, offer, first.code()))
    assert response.get_json()["error"]["code"] == "pass_revoked"
    assert post_redemption(client, world, redeem_body(world, offer, second.code())).status_code == 201


def test_key_rotation_by_kid():
    old = Settings(pass_keys="k1:seed-one-0123456789")
    rotating = Settings(pass_keys="k2:seed-two-0123456789,k1:seed-one-0123456789")
    after = Settings(pass_keys="k2:seed-two-0123456789")
    from backend.partners.passkeys import keyring

    phone = Phone()
    now = utcnow()
    claims = {
        "iss": "borsellino/partner-pass",
        "aud": "till",
        "jti": "pas_x",
        "dk": phone.device_key,
        "net": "net_x",
        "fn": "Giulia",
        "li": "B.",
        "ab": None,
        "exp": int((now + timedelta(hours=48)).timestamp()),
    }
    signed_by_old = jwt.encode(claims, keyring(old)[0].private, algorithm="EdDSA", headers={"kid": "k1"})
    code = show_code(signed_by_old, "pas_x", phone.key, now)
    assert [k["kid"] for k in jwks(rotating)["keys"]] == ["k2", "k1"]
    assert Verifier(jwks(rotating)).verify(code, at=now).pass_id == "pas_x"
    with pytest.raises(PassRefused, match="tampered"):
        Verifier(jwks(after)).verify(code, at=now)


def test_typed_code_works_online_for_the_current_minute_only(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    issued = phone.sync(client, world.patrons[0])
    db.rollback()
    from sqlalchemy import select

    from backend.partners.models import Pass

    pass_ = db.scalar(select(Pass).where(Pass.public_id == issued["id"]))
    assert post_redemption(
        client, world, redeem_body(world, offer, passes.otp_now(pass_, utcnow() - timedelta(minutes=5)))
    ).get_json()["error"]["code"] in ("pass_stale",)
    assert post_redemption(client, world, redeem_body(world, offer, passes.otp_now(pass_, utcnow()))).status_code == 201


def test_device_key_must_be_an_ed25519_key(client, db):
    world = make_world(db)
    response = client.post("/v1/partners/pass", json={"device_key": "A" * 43 + "!"}, headers=bearer(world.patrons[0]))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "device_key_invalid"


def test_a_pass_signed_with_a_real_key_but_wrong_claims_or_headers_is_refused_as_tampered():
    from backend.partners.passkeys import keyring

    settings = Settings(pass_keys="k1:seed-one")
    key = keyring(settings)[0]
    phone = Phone()
    now = utcnow()
    good = {
        "iss": "borsellino/partner-pass",
        "aud": "till",
        "jti": "pas_x",
        "dk": phone.device_key,
        "net": "net_x",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=48)).timestamp()),
    }
    verifier = Verifier(jwks(settings))

    def code(claims=None, headers=None, algorithm="EdDSA", signer=key.private):
        token = jwt.encode(
            claims if claims is not None else good, signer, algorithm=algorithm, headers=headers or {"kid": "k1"}
        )
        return show_code(token, "pas_x", phone.key, now)

    assert verifier.verify(code(), at=now).pass_id == "pas_x"
    assert verifier.verify(code({**good, "aud": ["other", "till"]}), at=now).pass_id == "pas_x"
    later = int((now + timedelta(hours=1)).timestamp())
    for bad in (
        code({**good, "aud": "other"}),
        code({k: v for k, v in good.items() if k != "aud"}),
        code({**good, "iss": "someone-else"}),
        code({k: v for k, v in good.items() if k != "net"}),
        code({**good, "jti": 7}),
        code({**good, "iat": later}),
        code({**good, "nbf": later}),
        code({**good, "exp": "soon"}),
        code(headers={"kid": "k2"}),
        code(headers={"kid": "k1", "crit": ["exp"]}),
        code(algorithm="HS256", signer="k1-secret-that-is-long-enough-for-hmac"),
    ):
        with pytest.raises(PassRefused, match="tampered"):
            verifier.verify(bad, at=now)
    token, minute, signature = code().split("~")
    header, payload, jws = token.split(".")
    for segments in ((header + "=", payload, jws), (header, payload + "!", jws), (header, payload, jws[:-1] + "B")):
        with pytest.raises(PassRefused, match="tampered"):
            verifier.verify("~".join([".".join(segments), minute, signature]), at=now)
