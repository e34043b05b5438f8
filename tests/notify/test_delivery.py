"""The dispatcher delivers through real protocol endpoints, retries, then dead-letters."""

import itertools
import json
from datetime import UTC, datetime, timedelta

import firebase_admin
import google.auth.credentials
import http_ece
from firebase_admin import messaging
from py_vapid import Vapid
from sqlalchemy import select

from backend.money import Money
from backend.notify.dispatcher import MAX_ATTEMPTS, channels_for, dispatch_once
from backend.notify.models import Delivery, DeliveryAttempt, Device
from backend.notify.services import notify, register_device
from notifications.channels.fcm import FcmChannel
from tests.notify.channels import BrowserKeys, FakeFcmAdapter, LocalSmtpServer, PushService, b64url, free_port
from tests.support.factories import make_network, make_patron

FAR_FUTURE = datetime.now(UTC) + timedelta(days=3)


def test_email_arrives_at_a_real_smtp_server_in_the_patrons_language(app, db, configure, database):
    network = make_network(db)
    giulia = make_patron(db, network, language="it")
    amina = make_patron(db, network, language="en")
    with LocalSmtpServer() as smtp, configure(smtp_host="127.0.0.1", smtp_port=smtp.port) as settings:
        with app.app_context():
            notify(db, giulia, "topup_succeeded", amount=Money(1250), balance=Money(4000))
            notify(
                db,
                amina,
                "fee_paid",
                amount=Money(350),
                description="Late return",
                library="Biblioteca Civica di Rho",
                balance=Money(650),
            )
            db.commit()
            report = dispatch_once(database, channels_for(settings))
    assert report.sent == 2
    by_rcpt = {rcpt[0]: mail for rcpt, mail in smtp.inbox.messages}
    italian = by_rcpt[giulia.email]
    assert italian["Subject"] == "Ricarica di 12,50\xa0€ riuscita"
    assert italian["Content-Language"] == "it"
    assert "Saldo attuale: 40,00\xa0€" in italian.get_content()
    english = by_rcpt[amina.email]
    assert english["Subject"] == "Receipt: €3.50 paid"
    assert english["Content-Language"] == "en"
    assert "Wallet balance: €6.50" in english.get_content()
    assert [d.status for d in db.scalars(select(Delivery))] == ["sent", "sent"]


def test_web_push_reaches_the_browser_and_decrypts(app, db, configure, database):
    vapid = Vapid()
    vapid.generate_keys()
    vapid_key = b64url(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))
    browser = BrowserKeys()
    patron = make_patron(db, make_network(db), language="it")
    with PushService() as push, configure(webpush_vapid_private_key=vapid_key) as settings:
        with app.app_context():
            register_device(
                db, patron, kind="webpush", address=f"{push.url}/push/abc123", p256dh=browser.p256dh, auth=browser.auth
            )
            notify(
                db,
                patron,
                "fee_charged",
                amount=Money(200),
                description="Ritardo restituzione",
                library="Biblioteca di Legnano",
            )
            db.commit()
            report = dispatch_once(database, channels_for(settings))
    assert report.sent == 1
    path, headers, body = push.received[0]
    assert path == "/push/abc123"
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["Authorization"].startswith("vapid t=")
    clear = http_ece.decrypt(
        body, private_key=browser.private_key, auth_secret=browser.auth_secret, version="aes128gcm"
    )
    shown = json.loads(clear)
    assert shown["title"] == "Nuovo addebito di 2,00\xa0€"
    assert shown["data"]["amount"] == {"amount": 200, "currency": "EUR"}


def test_gone_web_push_subscription_is_forgotten(app, db, configure, database):
    vapid = Vapid()
    vapid.generate_keys()
    vapid_key = b64url(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))
    browser = BrowserKeys()
    patron = make_patron(db, make_network(db))
    with PushService(status=410) as push, configure(webpush_vapid_private_key=vapid_key) as settings:
        with app.app_context():
            register_device(
                db, patron, kind="webpush", address=f"{push.url}/push/old", p256dh=browser.p256dh, auth=browser.auth
            )
            notify(db, patron, "topup_failed", amount=Money(1000))
            db.commit()
            report = dispatch_once(database, channels_for(settings))
    assert report.dead == 1
    db.expire_all()
    assert db.scalars(select(Device)).all() == []
    assert db.scalar(select(Delivery)).status == "dead"


class _Token(google.auth.credentials.Credentials):
    def __init__(self):
        super().__init__()
        self.token = "test-access-token"

    def refresh(self, request):
        self.token = "test-access-token"


class _FakeCredential(firebase_admin.credentials.Base):
    def get_credential(self):
        return _Token()


_apps = itertools.count()


def _fcm_channel(adapter):
    app = firebase_admin.initialize_app(_FakeCredential(), {"projectId": "demo-project"}, name=f"test-{next(_apps)}")
    messaging._get_messaging_service(app)._client.session.mount("https://fcm.googleapis.com", adapter)
    return FcmChannel(app)


def test_fcm_push_goes_through_firebase_admin(app, db, configure, database):
    adapter = FakeFcmAdapter()
    patron = make_patron(db, make_network(db), language="en")
    when = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    with configure(fcm_credentials_file="/unused/in/this/test.json"):
        with app.app_context():
            register_device(db, patron, kind="fcm", address="fcm-token-abc")
            notify(
                db,
                patron,
                "ticket_confirmed",
                event_title="Jazz night",
                starts_at=when,
                venue="Rho",
                quantity=2,
                amount=Money(1600),
            )
            db.commit()
    report = dispatch_once(database, {"fcm": _fcm_channel(adapter)})
    assert report.sent == 1
    sent = adapter.requests[0]
    assert sent.url == "https://fcm.googleapis.com/v1/projects/demo-project/messages:send"
    assert sent.headers["Authorization"] == "Bearer test-access-token"
    body = json.loads(sent.body)["message"]
    assert body["token"] == "fcm-token-abc"
    assert body["notification"]["title"] == "Tickets confirmed: Jazz night"
    assert "Total: €16.00" in body["notification"]["body"]


def test_unregistered_fcm_token_is_dead_and_device_forgotten(app, db, configure, database):
    adapter = FakeFcmAdapter(status=404, error_code="UNREGISTERED")
    patron = make_patron(db, make_network(db))
    with configure(fcm_credentials_file="/unused.json"):
        with app.app_context():
            register_device(db, patron, kind="fcm", address="stale-token")
            notify(db, patron, "topup_failed", amount=Money(1000))
            db.commit()
    report = dispatch_once(database, {"fcm": _fcm_channel(adapter)})
    assert report.dead == 1
    db.expire_all()
    assert db.scalars(select(Device)).all() == []


def _delivery(db):
    """The (single) delivery as it is now; ends the read so the dispatcher can write."""
    row = db.scalar(select(Delivery))
    state = (row.status, row.attempts, row.next_attempt_at, row.last_error)
    db.rollback()
    return state


def test_failing_channel_is_retried_with_backoff_then_dead_lettered(app, db, configure, database):
    patron = make_patron(db, make_network(db))
    closed_port = free_port()  # nothing listens there: connection refused
    with configure(smtp_host="127.0.0.1", smtp_port=closed_port) as settings:
        with app.app_context():
            notify(db, patron, "refund_processed", amount=Money(800), description="Biglietto")
            db.commit()
        channels = channels_for(settings)
        first = dispatch_once(database, channels)
        assert first.retried == 1
        status, attempts, next_at, _ = _delivery(db)
        waits = [next_at - datetime.now(UTC)]
        assert timedelta(seconds=20) < waits[0] < timedelta(seconds=40)
        # Not due yet: a second tick right away sends nothing.
        assert dispatch_once(database, channels).claimed == 0
        while status == "pending":
            # The clock jumps to just after the planned retry.
            tick = next_at + timedelta(seconds=1)
            dispatch_once(database, channels, now=tick)
            status, attempts, new_next_at, error = _delivery(db)
            if status == "pending":
                waits.append(new_next_at - datetime.now(UTC))
            next_at = new_next_at
    assert (status, attempts) == ("dead", MAX_ATTEMPTS)
    assert "Connection" in error or "Errno" in error
    outcomes = [a.outcome for a in db.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))]
    assert outcomes == ["failed"] * (MAX_ATTEMPTS - 1) + ["dead"]
    # Each wait roughly doubles the previous one (jitter is ±10 %).
    assert len(waits) == MAX_ATTEMPTS - 1
    assert all(later > earlier * 1.5 for earlier, later in zip(waits, waits[1:]))
    db.rollback()
    # Dead letters are not picked up again.
    assert dispatch_once(database, channels, now=FAR_FUTURE).claimed == 0


def test_a_dead_channel_does_not_stop_the_others(app, db, configure, database):
    patron = make_patron(db, make_network(db))
    adapter = FakeFcmAdapter()
    with configure(smtp_host="127.0.0.1", smtp_port=free_port(), fcm_credentials_file="/unused.json") as settings:
        with app.app_context():
            register_device(db, patron, kind="fcm", address="tok-1")
            notify(db, patron, "topup_succeeded", amount=Money(500), balance=Money(500))
            db.commit()
            email_only = channels_for(settings.with_overrides(fcm_credentials_file=""))
            channels = {**email_only, "fcm": _fcm_channel(adapter)}
            report = dispatch_once(database, channels)
    assert (report.sent, report.retried) == (1, 1)
