"""The outbox dispatcher: claim due deliveries, send them, record the outcome.

Claiming is a short transaction that moves rows to ``sending`` with a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers share the
work without waiting on each other; SQLite serializes writers anyway). Sending
happens outside any transaction. The outcome is recorded in another short
transaction: ``sent``; or back to ``pending`` with exponential backoff; or
``dead`` after ``MAX_ATTEMPTS`` tries or a permanent refusal. A dispatcher that
dies mid-send loses its lease and the row is tried again, so external channels
are at-least-once (a rare duplicate push beats a lost receipt).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from backend.config import Settings
from backend.db import Database, utcnow
from backend.notify.models import (
    CANCELLED,
    DEAD,
    EMAIL,
    FCM,
    PENDING,
    SENDING,
    SENT,
    WEBPUSH,
    Delivery,
    DeliveryAttempt,
    Device,
    Notification,
)
from backend.notify.services import configured_channels
from notifications.channels import Channel, Message, PermanentFailure

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=2)
LEASE = timedelta(minutes=5)
BATCH = 50


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, … capped at 2 h, with ±10 % jitter so retries spread out."""
    delay = min(LONGEST_WAIT, FIRST_RETRY * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.9, 1.1)


@dataclass
class _Claimed:
    delivery_id: int
    attempts: int
    channel: str
    message: Message
    address: Any
    device_id: int | None


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.dead


def dispatch_once(
    database: Database, channels: dict[str, Channel], *, now: datetime | None = None, batch: int = BATCH
) -> DispatchReport:
    """Deliver up to ``batch`` due deliveries; returns what happened."""
    claimed = database.run_in_transaction(lambda s: _claim(s, now or utcnow(), batch))
    report = DispatchReport()
    for item in claimed:
        error, permanent, gone = None, False, False
        channel = channels.get(item.channel)
        try:
            if channel is None:
                raise PermanentFailure(f"channel {item.channel} is not configured")
            if item.address is None:
                raise PermanentFailure("no address (email removed or device unregistered)")
            channel.send(item.message, item.address)
        except PermanentFailure as exc:
            error, permanent, gone = str(exc), True, exc.address_gone
        except Exception as exc:  # noqa: BLE001 - any channel failure is a retry, never a crash
            error = f"{type(exc).__name__}: {exc}"
        # Runs at once, inside this iteration: the loop's current values are the ones meant.
        outcome = database.run_in_transaction(lambda s: _record(s, item, error=error, permanent=permanent, gone=gone))  # noqa: B023
        if outcome == SENT:
            report.sent += 1
        elif outcome == DEAD:
            report.dead += 1
            report.errors.append(error or "")
        else:
            report.retried += 1
    return report


def _claim(session: Session, now: datetime, batch: int) -> list[_Claimed]:
    due = or_(
        (Delivery.status == PENDING) & (Delivery.next_attempt_at <= now),
        (Delivery.status == SENDING) & (Delivery.locked_until < now),
    )
    stmt = select(Delivery).where(due).order_by(Delivery.next_attempt_at, Delivery.id).limit(batch)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Delivery)
    rows = list(
        session.scalars(
            stmt.options(
                selectinload(Delivery.notification).selectinload(Notification.patron),
                selectinload(Delivery.notification).selectinload(Notification.staff_user),
                selectinload(Delivery.device),
            )
        )
    )
    claimed = []
    for row in rows:
        row.status, row.attempts, row.locked_until = SENDING, row.attempts + 1, now + LEASE
        note = row.notification
        claimed.append(
            _Claimed(
                delivery_id=row.id,
                attempts=row.attempts,
                channel=row.channel,
                message=Message(
                    notification_id=note.public_id,
                    kind=note.kind,
                    language=note.language,
                    title=note.title,
                    body=note.body,
                    data=note.data,
                ),
                address=_address(row),
                device_id=row.device_id,
            )
        )
    session.flush()
    return claimed


def _address(row: Delivery) -> Any:
    if row.channel == EMAIL:
        if row.address:
            return row.address
        person = row.notification.patron or row.notification.staff_user
        return person.email if person is not None else None
    device = row.device
    if device is None:
        return None
    if row.channel == WEBPUSH:
        return {"endpoint": device.address, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
    return device.address


def _record(session: Session, item: _Claimed, *, error: str | None, permanent: bool, gone: bool) -> str | None:
    now = utcnow()
    if error is None:
        status, values = SENT, {"sent_at": now, "last_error": None}
    elif permanent or item.attempts >= MAX_ATTEMPTS:
        status, values = DEAD, {"last_error": error[:500]}
    else:
        status = PENDING
        values = {"last_error": error[:500], "next_attempt_at": now + retry_delay(item.attempts)}
    # Only the holder of this attempt's lease records it (a slow sender whose lease
    # expired may have been overtaken; its result is then stale).
    done = session.execute(
        update(Delivery)
        .where(Delivery.id == item.delivery_id, Delivery.status == SENDING, Delivery.attempts == item.attempts)
        .values(status=status, locked_until=None, **values)
    ).rowcount
    if not done:
        return None
    session.add(
        DeliveryAttempt(
            delivery_id=item.delivery_id,
            number=item.attempts,
            outcome={SENT: "sent", DEAD: "dead"}.get(status, "failed"),
            error=error[:500] if error else None,
        )
    )
    if gone and item.device_id is not None:
        forget_device(session, item.device_id)
    if status == DEAD:
        log.warning("notification delivery %s dead after %s attempts: %s", item.delivery_id, item.attempts, error)
    return status


def forget_device(session: Session, device_id: int) -> None:
    """Cancel what is still queued for a device, then delete it (history stays)."""
    session.execute(
        update(Delivery)
        .where(Delivery.device_id == device_id, Delivery.status == PENDING)
        .values(status=CANCELLED, last_error="device removed")
    )
    device = session.get(Device, device_id)
    if device is not None:
        session.delete(device)
    session.flush()


_built: dict[int, tuple[Settings, dict[str, Channel]]] = {}


def channels_for(settings: Settings) -> dict[str, Channel]:
    """The channels this deployment configured (built once per process and settings)."""
    hit = _built.get(id(settings))
    if hit is not None and hit[0] is settings:
        return hit[1]
    configured = configured_channels(settings)
    channels: dict[str, Channel] = {}
    if EMAIL in configured:
        from notifications.channels.email import EmailChannel, SmtpSettings

        channels[EMAIL] = EmailChannel(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
                sender=settings.mail_from,
            )
        )
    if WEBPUSH in configured:
        from notifications.channels.webpush import WebPushChannel, WebPushSettings

        channels[WEBPUSH] = WebPushChannel(
            WebPushSettings(
                vapid_private_key=settings.webpush_vapid_private_key,
                vapid_subject=settings.webpush_vapid_subject,
            )
        )
    if FCM in configured:
        from notifications.channels.fcm import FcmChannel, firebase_app

        channels[FCM] = FcmChannel(firebase_app(settings.fcm_credentials_file))
    _built[id(settings)] = (settings, channels)
    return channels


def dispatch_outbox(database: Database, channels: dict[str, Channel]) -> DispatchReport:
    """Deliver everything due, batch after batch (the scheduler's ``dispatch_outbox`` job)."""
    total = DispatchReport()
    while True:
        report = dispatch_once(database, channels)
        total.sent, total.retried, total.dead = (
            total.sent + report.sent,
            total.retried + report.retried,
            total.dead + report.dead,
        )
        if report.claimed < BATCH:
            return total
