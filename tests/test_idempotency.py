"""Idempotency-Key: replay, mismatch, in-flight conflict, per-caller keys, kept for 24 h+."""

import threading
from datetime import timedelta

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
    a = client.post("/v1/_test/networks", json={"code": "D1", "name": "D"},
                    headers={**one, "Idempotency-Key": "same"})
    b = client.post("/v1/_test/networks", json={"code": "D2", "name": "D"},
                    headers={**two, "Idempotency-Key": "same"})
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


def test_request_still_running_gives_409(app, db, app_ctx):
    headers = {**_admin(db), "Idempotency-Key": "slow"}
    test_api.entered.clear()
    test_api.release.clear()
    results = {}

    def first_request():
        with app.test_client() as c:
            results["first"] = c.post("/v1/_test/networks", json={"code": "F", "name": "F", "hold": True},
                                      headers=headers)

    worker = threading.Thread(target=first_request)
    worker.start()
    assert test_api.entered.wait(10)
    with app.test_client() as c:
        second = c.post("/v1/_test/networks", json={"code": "F", "name": "F", "hold": True}, headers=headers)
    test_api.release.set()
    worker.join(10)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "idempotency_request_in_progress"
    assert results["first"].status_code == 201
    assert _count_networks(db, "F") == 1


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
