"""Enqueue notifications, and the patron's inbox, devices and preferences.

``notify`` only writes rows in the caller's transaction (the inbox entry and one
outbox ``Delivery`` per external channel): it never talks to a mail server or a
push service, so a channel that is down can neither slow down nor roll back the
payment that caused the message. The dispatcher (``backend.notify.dispatcher``)
delivers later, with retries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Set

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.models import Network, Patron, StaffUser
from backend.config import Settings
from backend.db import get_or_404, insert_returning, utcnow
from backend.errors import NOT_FOUND, DomainError, ErrorCode
from backend.i18n import normalize_language
from backend.money import Money
from backend.notify.models import (
    CAMPAIGN_NEWS,
    DEAD,
    EMAIL,
    FCM,
    MARKETING,
    PENDING,
    REMINDERS,
    WEBPUSH,
    Delivery,
    Device,
    Notification,
    NotificationPreferences,
)
from backend.notify.templates import Template, TemplateDataError, template_for, to_json
from backend.pagination import Page, paginate

__all__ = [
    "notify",
    "notify_staff",
    "notify_low_balance",
    "TemplateDataError",
]

DEVICE_LIMIT_REACHED = ErrorCode(
    "device_limit_reached",
    422,
    it="Hai già registrato {limit} dispositivi: rimuovine uno prima di aggiungerne un altro.",
    en="You already registered {limit} devices: remove one before adding another.",
)
MAX_DEVICES_PER_PATRON = 10

PUSH_CHANNELS = frozenset({FCM, WEBPUSH})

_OPTIONAL_CATEGORY_PREFERENCE = {
    REMINDERS: "reminders",
    CAMPAIGN_NEWS: "campaign_news",
    MARKETING: "marketing",
}


# --- enqueue (called by every domain) ---------------------------------------


def notify(
    session: Session, patron: Patron, kind: str, *, dedupe_key: str | None = None, **data
) -> Notification | None:
    """Queue a notification of ``kind`` to ``patron`` in the caller's transaction.

    ``data`` must match the kind's fields (see ``backend.notify.templates``).
    Returns None, writing nothing, when the patron switched the kind's category
    off, or when ``dedupe_key`` was already used (a reminder already sent).
    """
    template = template_for(kind)
    if template.for_staff:
        raise TemplateDataError(f"{kind} is for staff: use notify_staff")
    template.check(data)
    prefs = preferences_of(session, patron)
    option = _OPTIONAL_CATEGORY_PREFERENCE.get(template.category)
    if option and not prefs[option]:
        return None
    note = _insert(session, template, data, dedupe_key, patron=patron, language=normalize_language(patron.language))
    if note is None:
        return None
    channels = enabled_channels(session)
    if EMAIL in channels and prefs["email"] and patron.email:
        session.add(Delivery(notification=note, channel=EMAIL))
    # No push channel configured: no device could get a delivery, don't read them.
    if prefs["push"] and channels & PUSH_CHANNELS:
        for device in session.scalars(select(Device).where(Device.patron_id == patron.id)):
            if device.kind in channels:
                session.add(Delivery(notification=note, channel=device.kind, device=device))
    if session.new:
        session.flush()
    return note


def notify_staff(
    session: Session,
    network: Network,
    kind: str,
    *,
    roles: tuple[str, ...] = ("finance", "admin"),
    dedupe_key: str | None = None,
    **data,
) -> list[Notification]:
    """Queue a staff notification (e.g. ``ledger_audit_failed``) to the network's active
    staff with one of ``roles``, by email; ``dedupe_key`` is suffixed per person."""
    template = template_for(kind)
    template.check(data)
    people = session.scalars(
        select(StaffUser)
        .where(StaffUser.network_id == network.id, StaffUser.role.in_(roles), StaffUser.active.is_(True))
        .order_by(StaffUser.id)
    )
    sent = []
    email_on = EMAIL in enabled_channels(session)
    for person in people:
        key = f"{dedupe_key}:{person.public_id}" if dedupe_key else None
        note = _insert(session, template, data, key, staff_user=person, language=normalize_language(person.language))
        if note is None:
            continue
        if email_on:
            session.add(Delivery(notification=note, channel=EMAIL))
        sent.append(note)
    session.flush()
    return sent


def notify_low_balance(session: Session, patron: Patron, *, before: Money, after: Money) -> Notification | None:
    """Call after a debit: warns once when the balance crosses the patron's threshold
    downwards (not again on every later purchase while it stays low)."""
    threshold = preferences_of(session, patron)["low_balance_threshold"]
    if threshold is None or not (before.amount >= threshold > after.amount):
        return None
    return notify(session, patron, "low_balance", balance=after, threshold=Money(threshold, after.currency))


def _insert(
    session: Session,
    template: Template,
    data: dict,
    dedupe_key: str | None,
    *,
    language: str,
    patron: Patron | None = None,
    staff_user: StaffUser | None = None,
) -> Notification | None:
    if dedupe_key is not None and session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    title, body = template.render(language, data)
    if dedupe_key is None:
        # One INSERT … RETURNING, no unit-of-work flush: every purchase and payment passes here.
        [note] = insert_returning(
            session,
            Notification,
            [
                dict(
                    patron_id=patron.id if patron else None,
                    staff_user_id=staff_user.id if staff_user else None,
                    kind=template.kind,
                    category=template.category,
                    language=language,
                    title=title,
                    body=body,
                    data=to_json(data),
                )
            ],
        )
        return note
    note = Notification(
        patron=patron,
        staff_user=staff_user,
        kind=template.kind,
        category=template.category,
        language=language,
        title=title,
        body=body,
        data=to_json(data),
        dedupe_key=dedupe_key,
    )
    # A concurrent transaction may insert the same key: lose quietly, keep the caller's work.
    try:
        with session.begin_nested():
            session.add(note)
    except IntegrityError:
        return None
    return note


# Key of ``session.info`` naming the external channels the deployment configured.
CHANNELS_INFO = "notify.channels"


def enabled_channels(session: Session) -> Set[str]:
    """External channels configured for this deployment (the inbox is always on).

    The app factory puts ``configured_channels(settings)`` in its database's
    ``session_info``; a session of a database without it queues no deliveries.
    """
    return session.info.get(CHANNELS_INFO, frozenset())


def configured_channels(settings: Settings) -> frozenset[str]:
    """The one rule for which external channels a deployment has: each needs its setting."""
    configured = {
        EMAIL: settings.smtp_host,
        WEBPUSH: settings.webpush_vapid_private_key,
        FCM: settings.fcm_credentials_file,
    }
    return frozenset(kind for kind, setting in configured.items() if setting)


# --- preferences ---------------------------------------------------------------


_preferences = NotificationPreferences.__table__
_PREFERENCES = select(*(_preferences.c[name] for name in NotificationPreferences.DEFAULTS)).where(
    _preferences.c.patron_id == bindparam("patron_id")
)


def preferences_of(session: Session, patron: Patron) -> dict:
    # A patron without a preferences row is the common case, and the identity map
    # can't remember an absent row: a payment (confirmation + low-balance check)
    # would read it twice. Remember the absence for the current (innermost)
    # transaction only, so a savepoint rollback or a new transaction reads again.
    absent = _absent_preferences(session)
    if patron.id not in absent:
        loaded = session.identity_map.get(session.identity_key(NotificationPreferences, patron.id))
        # Not loaded (the common case): a prebuilt Core read, no object built.
        row = loaded or session.connection().execute(_PREFERENCES, {"patron_id": patron.id}).first()
        if row is not None:
            values = {name: getattr(row, name) for name in NotificationPreferences.DEFAULTS}
            return {**values, "transactional": True}
        absent.add(patron.id)
    return {**NotificationPreferences.DEFAULTS, "transactional": True}


def _absent_preferences(session: Session) -> set[int]:
    transaction = session.get_nested_transaction() or session.get_transaction()
    memo = session.info.get("notify.absent_preferences")
    if memo is None or memo[0] is not transaction:
        memo = session.info["notify.absent_preferences"] = (transaction, set())
    return memo[1]


def update_preferences(session: Session, patron: Patron, changes: dict) -> dict:
    row = session.get(NotificationPreferences, patron.id)
    if row is None:
        row = NotificationPreferences(patron_id=patron.id, **NotificationPreferences.DEFAULTS)
        session.add(row)
        _absent_preferences(session).discard(patron.id)
    for name, value in changes.items():
        if name in NotificationPreferences.DEFAULTS:
            setattr(row, name, value)
    session.flush()
    return preferences_of(session, patron)


# Account emails (verification, PIN/password reset) go through the same outbox
# and dispatcher, to the address they name, but never appear in the inbox:
# they carry one-time tokens.
ACCOUNT_EMAIL = "account"


def send_account_email(
    session: Session, recipient: Patron | StaffUser, *, to_email: str, purpose: str, subject: str, body: str
) -> Notification:
    note = Notification(
        patron=recipient if isinstance(recipient, Patron) else None,
        staff_user=recipient if isinstance(recipient, StaffUser) else None,
        kind=purpose,
        category=ACCOUNT_EMAIL,
        language=normalize_language(recipient.language),
        title=subject,
        body=body,
        data={},
    )
    session.add(note)
    if EMAIL in enabled_channels(session):
        session.add(Delivery(notification=note, channel=EMAIL, address=to_email))
    session.flush()
    return note


# --- inbox -------------------------------------------------------------------------


def inbox(
    session: Session, patron: Patron, *, limit: int, starting_after: str | None, unread_only: bool = False
) -> Page:
    stmt = select(Notification).where(Notification.patron_id == patron.id, Notification.category != ACCOUNT_EMAIL)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return paginate(session, stmt, Notification, limit=limit, starting_after=starting_after)


def unread_count(session: Session, patron: Patron) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.patron_id == patron.id, Notification.read_at.is_(None), Notification.category != ACCOUNT_EMAIL
        )
    )


def mark_read(session: Session, patron: Patron, public_id: str) -> Notification:
    note = get_or_404(session, Notification, public_id, param="notification_id", patron_id=patron.id)
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, patron: Patron) -> int:
    return session.execute(
        update(Notification)
        .where(Notification.patron_id == patron.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount


# --- devices -----------------------------------------------------------------------


def _hash(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def register_device(
    session: Session,
    patron: Patron,
    *,
    kind: str,
    address: str,
    p256dh: str | None = None,
    auth: str | None = None,
    label: str = "",
) -> Device:
    """Register (or re-register) a device; a token seen before moves to this patron,
    since a phone or browser belongs to whoever signed in on it last."""
    device = session.scalar(select(Device).where(Device.address_hash == _hash(address)))
    if device is None:
        count = session.scalar(select(func.count()).select_from(Device).where(Device.patron_id == patron.id))
        if count >= MAX_DEVICES_PER_PATRON:
            raise DomainError(DEVICE_LIMIT_REACHED, limit=MAX_DEVICES_PER_PATRON)
        device = Device(patron=patron, kind=kind, address=address, address_hash=_hash(address))
        session.add(device)
    device.patron = patron
    device.kind, device.p256dh, device.auth, device.label = kind, p256dh, auth, label
    session.flush()
    return device


def unregister_device(session: Session, patron: Patron, public_id: str) -> None:
    device = get_or_404(session, Device, public_id, param="device_id", patron_id=patron.id)
    from backend.notify.dispatcher import forget_device

    forget_device(session, device.id)


def devices_of(session: Session, patron: Patron) -> list[Device]:
    return list(session.scalars(select(Device).where(Device.patron_id == patron.id).order_by(Device.id)))


# --- failures (admin) -----------------------------------------------------------------


def _network_deliveries(network_public_id: str):
    network_id = select(Network.id).where(Network.public_id == network_public_id).scalar_subquery()
    patrons = select(Patron.id).where(Patron.home_network_id == network_id)
    staff = select(StaffUser.id).where(StaffUser.network_id == network_id)
    recipients = select(Notification.id).where(
        Notification.patron_id.in_(patrons) | Notification.staff_user_id.in_(staff)
    )
    return select(Delivery).where(Delivery.notification_id.in_(recipients))


def dead_deliveries(session: Session, network_public_id: str, *, limit: int, starting_after: str | None) -> Page:
    """Dead-lettered deliveries to the network's patrons and staff, newest first."""
    stmt = _network_deliveries(network_public_id).where(Delivery.status == DEAD)
    return paginate(session, stmt, Delivery, limit=limit, starting_after=starting_after)


def retry_dead_delivery(session: Session, network_public_id: str, public_id: str) -> Delivery:
    """Give a dead delivery of the admin's network a fresh set of attempts."""
    delivery = session.scalar(
        _network_deliveries(network_public_id).where(Delivery.public_id == public_id, Delivery.status == DEAD)
    )
    if delivery is None:
        raise DomainError(NOT_FOUND, param="delivery_id")
    delivery.status, delivery.attempts, delivery.next_attempt_at = PENDING, 0, utcnow()
    session.flush()
    return delivery
