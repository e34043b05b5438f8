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


def test_a_dead_requests_key_is_taken_over_after_the_in_flight_window(app, client, db, app_ctx):
    """A worker killed after its claim leaves the key in flight: retries get 409 until the window ends."""
    from backend.idempotency import IN_FLIGHT

    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = original.with_overrides(idempotency_in_flight_seconds=15)
    try:
        headers = {**_admin(db), "Idempotency-Key": "dead-worker"}
        body = {"code": "K", "name": "K"}
        assert client.post("/v1/_test/networks", json=body, headers=headers).status_code == 201
        # What the killed worker left: its claim, and none of its work (it never committed).
        db.execute(update(IdempotencyKey).values(state=IN_FLIGHT, response_status=None, response_body=None,
                                                 locked_until=utcnow() + timedelta(seconds=15)))
        db.execute(Network.__table__.delete().where(Network.code == "K"))
        db.commit()

        waiting = client.post("/v1/_test/networks", json=body, headers=headers)
        assert waiting.status_code == 409 and waiting.headers["Retry-After"] == "1"
        assert _count_networks(db, "K") == 0

        db.execute(update(IdempotencyKey).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.commit()
        taken_over = client.post("/v1/_test/networks", json=body, headers=headers)
        assert taken_over.status_code == 201 and "Idempotent-Replayed" not in taken_over.headers
        assert _count_networks(db, "K") == 1
        row = db.scalar(select(IdempotencyKey))
        assert row.state == "done"
        window = row.locked_until - utcnow()
        assert timedelta(seconds=10) < window <= timedelta(seconds=15)  # the configured window, not 2 minutes
        db.rollback()
    finally:
        app.config["SETTINGS"] = original
