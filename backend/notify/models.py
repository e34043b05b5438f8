"""Notifications: the inbox message, its outbox deliveries, devices and preferences.

A ``Notification`` is written in the same transaction as the business change
that caused it: it is the patron's in-app inbox entry, visible at once. Each
external channel (email, FCM push, Web Push) gets a ``Delivery`` row, the
outbox, that the dispatcher sends later and retries; every try is kept as a
``DeliveryAttempt`` so an admin can see why a message did not arrive.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Patron, StaffUser
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin, utcnow

# Categories a patron can switch off (transactional cannot).
TRANSACTIONAL = "transactional"
REMINDERS = "reminders"
CAMPAIGN_NEWS = "campaign_news"
MARKETING = "marketing"
CATEGORIES = (TRANSACTIONAL, REMINDERS, CAMPAIGN_NEWS, MARKETING)

# Delivery states: pending → sending → sent, or back to pending (retry) → … → dead;
# cancelled when its device was unregistered before it went out.
PENDING, SENDING, SENT, DEAD, CANCELLED = "pending", "sending", "sent", "dead", "cancelled"

EMAIL, FCM, WEBPUSH = "email", "fcm", "webpush"


class Notification(PublicIdMixin, TimestampMixin, Base):
    """One message to one person, rendered in their language when it was enqueued."""

    __tablename__ = "notifications"
    PUBLIC_ID_PREFIX = "ntf"

    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id", ondelete="CASCADE"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The template's values as JSON (Money as {"amount","currency"}), for the app to deep-link.
    data: Mapped[dict] = mapped_column(JSON)
    # Set by callers that must notify once per occurrence (e.g. one reminder per ticket).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    read_at: Mapped[datetime | None]

    patron: Mapped[Patron | None] = relationship()
    staff_user: Mapped[StaffUser | None] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="notification", order_by="Delivery.id", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("(patron_id IS NULL) <> (staff_user_id IS NULL)", name="one_recipient"),
        # Inbox: newest first, per patron; unread count.
        Index("ix_notifications_patron_id_id", "patron_id", "id"),
        Index("ix_notifications_staff_user_id_id", "staff_user_id", "id"),
    )


class Device(PublicIdMixin, TimestampMixin, Base):
    """A phone (FCM registration token) or browser (Web Push subscription) of a patron."""

    __tablename__ = "notification_devices"
    PUBLIC_ID_PREFIX = "dev"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # fcm | webpush
    # FCM token or Web Push endpoint URL; one device belongs to one patron at a time.
    address: Mapped[str] = mapped_column(String(1000))
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Web Push only: the browser's P-256 public key and auth secret (base64url).
    p256dh: Mapped[str | None] = mapped_column(String(200))
    auth: Mapped[str | None] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(100), default="")

    patron: Mapped[Patron] = relationship()


class Delivery(PublicIdMixin, Base):
    """The outbox: one message to deliver through one channel to one address."""

    __tablename__ = "notification_deliveries"
    PUBLIC_ID_PREFIX = "dlv"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | fcm | webpush
    # An explicit address (e.g. an email not verified yet); else the recipient's own.
    address: Mapped[str | None] = mapped_column(String(254))
    # Kept (NULL) when the device goes away, so the delivery history survives.
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_devices.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A dispatcher that died mid-send loses its claim after this.
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")
    device: Mapped[Device | None] = relationship()
    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(order_by="DeliveryAttempt.id", passive_deletes=True)

    __table_args__ = (
        # The dispatcher's claim query: due rows of a state, oldest first.
        Index("ix_notification_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )


class DeliveryAttempt(Base):
    __tablename__ = "notification_delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))  # sent | failed | dead
    error: Mapped[str | None] = mapped_column(String(500))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreferences(Base):
    """A patron's choices; no row means the defaults below."""

    __tablename__ = "notification_preferences"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id", ondelete="CASCADE"), primary_key=True)
    reminders: Mapped[bool] = mapped_column(default=True)
    campaign_news: Mapped[bool] = mapped_column(default=True)
    marketing: Mapped[bool] = mapped_column(default=False)
    email: Mapped[bool] = mapped_column(default=True)
    push: Mapped[bool] = mapped_column(default=True)
    # Warn when the wallet drops below this many cents; None: never.
    low_balance_threshold: Mapped[int | None] = mapped_column(Integer, default=500)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    DEFAULTS = {
        "reminders": True,
        "campaign_news": True,
        "marketing": False,
        "email": True,
        "push": True,
        "low_balance_threshold": 500,
    }
