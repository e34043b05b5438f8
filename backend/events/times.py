"""Event schedules are local to Europe/Rome; storage is UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.i18n import ROME


def to_utc(value: datetime) -> datetime:
    """A naive time is Rome wall-clock time (what an organizer types); aware times are converted."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ROME)
    return value.astimezone(UTC)


def in_rome(value: datetime | None) -> datetime | None:
    return value.astimezone(ROME) if value is not None else None
