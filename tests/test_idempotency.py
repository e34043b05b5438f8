"""Idempotency-Key: replay, mismatch, in-flight conflict, per-caller keys, kept for 24 h+."""

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.accounts.models import Network
from backend.db import utcnow
from backend.idempotency import IdempotencyKey
from tests.support import test_api
from tests.support.factories import bearer, make_network, make_staff


def _admin(db):
    user = make_staff(db, "admin", make_network(db))
    db.commit()
    return bearer(user)


def _count_networks(db, code):
    db.rollback()
    return db.scalar(select(func.count()).select_from(Network).where(Network.code == code))


def test_key_is_required(client, db, app_ctx):
    response = client.post("/v1/_test/networks", json={"code": "A", "name": "A"}, headers=_admin(db))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "idempotency_key_missing"
    assert _count_networks(db, "A") == 0


def test_same_key_same_body_replays_the_first_response(client, db, app_ctx):
    headers = {**_admin(db), "Idempotency-Key": "create-a"}
    first = client.post("/v1/_test/networks", json={"code": "A", "name": "A"}, headers=headers)
    again = client.post("/v1/_test/networks", json={"name": "A", "code": "A"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count_networks(db, "A") == 1


def test_same_key_different_body_is_422_and_changes_nothing(client, db, app_ctx):
    headers = {**_admin(db), "Idempotency-Key": "create-b"}
    client.post("/v1/_test/networks", json={"code": "B", "name": "B"}, headers=headers)
    response = client.post("/v1/_test/networks", json={"code": "C", "name": "C"}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _count_networks(db, "C") == 0


def test_keys_belong_to_their_caller(client, db, app_ctx):
    one, two = _admin(db), _admin(db)
    a = client.post("/v1/_test/networks", json={"code": "D1", "name": "D"}, headers={**one, "Idempotency-Key": "same"})
    b = client.post("/v1/_test/networks", json={"code": "D2", "name": "D"}, headers={**two, "Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201
    assert a.get_json()["id"] != b.get_json()["id"]


def test_business_error_is_stored_and_its_writes_rolled_back(client, db, app_ctx):
    headers = {**_admin(db), "Idempotency-Key": "fails"}
    body = {"code": "E", "name": "E", "fail": True}
    first = client.post("/v1/_test/networks", json=body, headers=headers)
    again = client.post("/v1/_test/networks", json=body, headers=headers)
    assert first.status_code == again.status_code == 409
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count_networks(db, "E") == 0


def _hold_first_request(app, headers, body, results):
    test_api.entered.clear()
    test_api.release.clear()

    def first_request():
        with app.test_client() as c:
            results["first"] = c.post("/v1/_test/networks", json=body, headers=headers)

    worker = threading.Thread(target=first_request)
    worker.start()
    assert test_api.entered.wait(10)
    return worker


def _waiting_on_a_lock(db) -> bool:
    """A backend of this database waits for a lock (the duplicate's insert on the unique index)."""
    from sqlalchemy import text

    with db.get_bind().connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def test_a_duplicate_sent_while_the_first_runs_waits_for_it_and_replays_its_response(app, db, app_ctx, is_pg):
    headers = {**_admin(db), "Idempotency-Key": "slow"}
    body = {"code": "F", "name": "F", "hold": True}
    results = {}
    first = _hold_first_request(app, headers, body, results)

    def duplicate():
        with app.test_client() as c:
            results["second"] = c.post("/v1/_test/networks", json=body, headers=headers)

    second = threading.Thread(target=duplicate)
    second.start()
    if is_pg:  # it is really waiting (on SQLite it waits for the write lock at BEGIN IMMEDIATE)
        deadline = utcnow() + timedelta(seconds=10)
        while not _waiting_on_a_lock(db) and utcnow() < deadline:
            threading.Event().wait(0.02)  # polling for a state, not hiding a race
        assert _waiting_on_a_lock(db)
    test_api.release.set()
    first.join(20)
    second.join(20)
    assert results["first"].status_code == 201
    assert results["second"].status_code == 201
    assert results["second"].headers.get("Idempotent-Replayed") == "true"
    assert results["second"].get_json() == results["first"].get_json()
    assert _count_networks(db, "F") == 1


@pytest.mark.postgres_only
def test_a_duplicate_waiting_longer_than_the_bound_gets_409(app, db, app_ctx):
    headers = {**_admin(db), "Idempotency-Key": "slower"}
    body = {"code": "H", "name": "H", "hold": True}
    results = {}
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(settings, idempotency_wait_ms=300)
    try:
        first = _hold_first_request(app, headers, body, results)
        with app.test_client() as c:
            second = c.post("/v1/_test/networks", json=body, headers=headers)
    finally:
        app.config["SETTINGS"] = settings
        test_api.release.set()
    first.join(20)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "idempotency_request_in_progress"
    assert second.headers["Retry-After"] == "1"
    assert results["first"].status_code == 201
    assert _count_networks(db, "H") == 1
    # Nothing of the refused duplicate was kept: the key still replays the first response.
    with app.test_client() as c:
        again = c.post("/v1/_test/networks", json=body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.status_code == 201


def test_responses_are_kept_24_hours_then_the_key_is_free(client, db, app_ctx):
    headers = {**_admin(db), "Idempotency-Key": "old"}
    client.post("/v1/_test/networks", json={"code": "G", "name": "G"}, headers=headers)
    db.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    db.commit()
    replay = client.post("/v1/_test/networks", json={"code": "G", "name": "G"}, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"

    db.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=49)))
    db.commit()
    reused = client.post("/v1/_test/networks", json={"code": "H", "name": "H"}, headers=headers)
    assert reused.status_code == 201
    assert "Idempotent-Replayed" not in reused.headers


def test_a_request_killed_after_its_claim_leaves_no_claim_and_its_retry_runs_at_once(app, client, db, app_ctx):
    """The claim is the request's first write: a worker killed before committing takes it along."""
    from sqlalchemy import insert

    from tests.support.factories import make_staff as staff

    admin = staff(db, "admin", make_network(db))
    db.commit()
    headers = {**bearer(admin), "Idempotency-Key": "dead-worker"}
    body = {"code": "K", "name": "K"}
    # What the killed worker did: claimed the key in its transaction, which the server then rolled back.
    with db.get_bind().connect() as conn:
        dead = conn.begin()
        conn.execute(
            insert(IdempotencyKey).values(
                owner=admin.public_id, key="dead-worker", fingerprint="f", state="done", created_at=utcnow()
            )
        )
        dead.rollback()
    retried = client.post("/v1/_test/networks", json=body, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert _count_networks(db, "K") == 1
    replayed = client.post("/v1/_test/networks", json=body, headers=headers)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
