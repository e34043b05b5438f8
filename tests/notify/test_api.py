"""The patron's inbox, preferences and devices; the admin's view of failures."""

from sqlalchemy import func, select

from backend.money import Money
from backend.notify.models import Delivery, Device, Notification, NotificationPreferences
from backend.notify.services import notify
from tests.support.factories import bearer, make_network, make_patron, make_staff

SUBSCRIPTION = {"endpoint": "https://push.example.org/send/abc", "keys": {"p256dh": "B" * 87, "auth": "a" * 22}}


def _setup(db):
    network = make_network(db)
    me, other = make_patron(db, network), make_patron(db, network)
    db.commit()
    return network, me, other


def test_inbox_pages_newest_first_and_only_mine(app_ctx, client, db):
    _, me, other = _setup(db)
    for amount in range(1, 6):
        notify(db, me, "topup_failed", amount=Money(amount * 100))
    notify(db, other, "topup_failed", amount=Money(9900))
    db.commit()
    first = client.get("/v1/notifications?limit=3", headers=bearer(me)).get_json()
    assert [n["title"] for n in first["data"]] == [
        "Ricarica di 5,00\xa0€ non riuscita",
        "Ricarica di 4,00\xa0€ non riuscita",
        "Ricarica di 3,00\xa0€ non riuscita",
    ]
    assert first["has_more"] is True
    second = client.get(
        f"/v1/notifications?limit=3&starting_after={first['next_cursor']}", headers=bearer(me)
    ).get_json()
    assert len(second["data"]) == 2 and second["has_more"] is False
    assert first["data"][0]["data"]["amount"] == {"amount": 500, "currency": "EUR"}


def test_mark_read_updates_the_unread_count_and_is_mine_only(app_ctx, client, db):
    _, me, other = _setup(db)
    mine = notify(db, me, "topup_failed", amount=Money(100))
    notify(db, me, "topup_failed", amount=Money(200))
    theirs = notify(db, other, "topup_failed", amount=Money(300))
    db.commit()
    assert client.get("/v1/notifications/unread-count", headers=bearer(me)).get_json() == {"unread": 2}
    read = client.post(f"/v1/notifications/{mine.public_id}/read", headers=bearer(me))
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert client.get("/v1/notifications/unread-count", headers=bearer(me)).get_json() == {"unread": 1}
    stolen = client.post(f"/v1/notifications/{theirs.public_id}/read", headers=bearer(me))
    assert stolen.status_code == 404 and stolen.get_json()["error"]["code"] == "not_found"
    assert client.get("/v1/notifications/unread-count", headers=bearer(other)).get_json() == {"unread": 1}
    assert client.post("/v1/notifications/read-all", headers=bearer(me)).get_json() == {"marked": 1}
    unread = client.get("/v1/notifications?unread_only=true", headers=bearer(me)).get_json()
    assert unread["data"] == []


def test_preferences_default_then_change(app_ctx, client, db):
    _, me, _ = _setup(db)
    got = client.get("/v1/notifications/preferences", headers=bearer(me)).get_json()
    assert got == {
        "transactional": True,
        "reminders": True,
        "campaign_news": True,
        "marketing": False,
        "email": True,
        "push": True,
        "low_balance_threshold": 500,
    }
    changed = client.patch(
        "/v1/notifications/preferences", headers=bearer(me), json={"marketing": True, "low_balance_threshold": 1500}
    )
    assert changed.status_code == 200
    assert changed.get_json()["marketing"] is True
    assert changed.get_json()["low_balance_threshold"] == 1500


def test_bad_preferences_are_refused_and_change_nothing(app_ctx, client, db):
    _, me, _ = _setup(db)
    for body in (
        {"low_balance_threshold": -1},
        {"low_balance_threshold": 12.5},
        {"transactional": False},
        {"marketing": "yes please"},
    ):
        response = client.patch("/v1/notifications/preferences", headers=bearer(me), json=body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] == "validation_error"
    assert db.scalar(select(func.count()).select_from(NotificationPreferences)) == 0


def test_register_and_unregister_devices(app_ctx, client, db):
    _, me, other = _setup(db)
    phone = client.post(
        "/v1/notifications/devices",
        headers=bearer(me),
        json={"kind": "fcm", "token": "fcm-registration-token-1", "label": "Pixel"},
    )
    assert phone.status_code == 201
    browser = client.post(
        "/v1/notifications/devices", headers=bearer(me), json={"kind": "webpush", "subscription": SUBSCRIPTION}
    )
    assert browser.status_code == 201
    listed = client.get("/v1/notifications/devices", headers=bearer(me)).get_json()["data"]
    assert {d["kind"] for d in listed} == {"fcm", "webpush"}
    # Someone else cannot remove my phone.
    gone = client.delete(f"/v1/notifications/devices/{phone.get_json()['id']}", headers=bearer(other))
    assert gone.status_code == 404
    removed = client.delete(f"/v1/notifications/devices/{phone.get_json()['id']}", headers=bearer(me))
    assert removed.status_code == 204
    assert [d.kind for d in db.scalars(select(Device))] == ["webpush"]


def test_a_token_signed_in_by_someone_else_moves_to_them(app_ctx, client, db):
    _, me, other = _setup(db)
    body = {"kind": "fcm", "token": "shared-family-tablet-token"}
    client.post("/v1/notifications/devices", headers=bearer(me), json=body)
    client.post("/v1/notifications/devices", headers=bearer(other), json=body)
    assert client.get("/v1/notifications/devices", headers=bearer(me)).get_json()["data"] == []
    assert len(client.get("/v1/notifications/devices", headers=bearer(other)).get_json()["data"]) == 1


def test_bad_device_registrations_are_400_and_store_nothing(app_ctx, client, db):
    _, me, _ = _setup(db)
    for body in (
        {"kind": "fcm"},
        {"kind": "webpush", "token": "x" * 20},
        {"kind": "sms", "token": "x" * 20},
        {"kind": "webpush", "subscription": {**SUBSCRIPTION, "endpoint": "http://insecure/x"}},
        {"kind": "webpush", "subscription": {"endpoint": SUBSCRIPTION["endpoint"]}},
    ):
        response = client.post("/v1/notifications/devices", headers=bearer(me), json=body)
        assert response.status_code == 400, body
    assert db.scalar(select(func.count()).select_from(Device)) == 0


def test_patron_endpoints_need_a_patron(app_ctx, client, db):
    network, me, _ = _setup(db)
    assert client.get("/v1/notifications").status_code == 401
    librarian = make_staff(db, "librarian", network)
    db.commit()
    assert client.get("/v1/notifications", headers=bearer(librarian)).status_code == 403


def test_admin_sees_and_retries_dead_deliveries_of_their_network_only(app, client, db, configure):
    network, me, _ = _setup(db)
    elsewhere = make_patron(db, make_network(db))
    admin = make_staff(db, "admin", network)
    with configure(smtp_host="127.0.0.1"):
        with app.app_context():
            notify(db, me, "topup_failed", amount=Money(100))
            notify(db, elsewhere, "topup_failed", amount=Money(100))
    ids = {}
    for delivery in db.scalars(select(Delivery)):
        delivery.status, delivery.attempts, delivery.last_error = "dead", 6, "smtp: refused"
        ids[delivery.notification.patron_id] = delivery.public_id
    other_patron = make_patron(db, network)
    db.commit()
    mine, theirs = ids[me.id], ids[elsewhere.id]
    with app.app_context():
        page = client.get("/v1/notifications/failed-deliveries", headers=bearer(admin)).get_json()
        assert [(d["id"], d["recipient"], d["last_error"]) for d in page["data"]] == [
            (mine, me.public_id, "smtp: refused")
        ]
        assert (
            client.post(f"/v1/notifications/failed-deliveries/{theirs}/retry", headers=bearer(admin)).status_code == 404
        )
        retried = client.post(f"/v1/notifications/failed-deliveries/{mine}/retry", headers=bearer(admin))
        assert retried.status_code == 200 and retried.get_json()["status"] == "pending"
        assert client.get("/v1/notifications/failed-deliveries", headers=bearer(other_patron)).status_code == 403


def test_a_deleted_patrons_inbox_is_not_found(app_ctx, client, db):
    _, me, _ = _setup(db)
    notify(db, me, "topup_failed", amount=Money(100))
    token = bearer(me)  # issued before the account was deleted
    me.status = "deleted"
    db.commit()
    for method, url in (
        ("get", "/v1/notifications"),
        ("get", "/v1/notifications/unread-count"),
        ("post", "/v1/notifications/read-all"),
        ("get", "/v1/notifications/preferences"),
    ):
        response = getattr(client, method)(url, headers=token)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found", url
    db.rollback()
    assert (
        db.scalar(select(Notification.read_at).where(Notification.patron_id == me.id)) is None
    )  # read-all did nothing
