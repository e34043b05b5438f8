"""Schema fields shared by every domain's schemas: one home for what requests and
responses need beyond marshmallow's own fields.

Requests: date-times are kept to years 1900–2999 (far enough for any filter or
schedule, and far from the edges where converting between Europe/Rome and UTC,
or adding a day, overflows Python's ``datetime``: ``0001-01-01`` or
``9999-12-31`` answered 500); a boolean in a JSON body is ``true`` or ``false``.

Responses, so the contract types every property:

- ``UtcDateTime``: the API's one timestamp format, UTC in whole seconds ending in
  ``Z`` (``2026-12-01T23:53:24Z``). No fractions: every platform's ISO 8601
  parser reads it, and nothing the app does needs sub-second times.
- ``Computed(fn, field)``: a value computed from the object (what marshmallow's
  ``Function`` does), sent and documented as ``field`` — a ``String``, a
  ``MoneyField``, a ``Nested`` schema. marshmallow's ``Function`` has no type,
  so a generated client would see ``any``; ``backend.api.Api`` documents a
  ``Computed`` as its ``field``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow.types import ErrorMessages

from backend.i18n import ROME

MIN_YEAR, MAX_YEAR = 1900, 2999


class _InRange(ma.fields.Field[Any]):
    """Mixed in before a date or date-time field: its parsed value must fall in the years above."""

    default_error_messages: ErrorMessages = {"out_of_range": f"Date out of range (years {MIN_YEAR}–{MAX_YEAR})."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise self.make_error("out_of_range")
        return parsed


class DateTimeInput(_InRange, ma.fields.DateTime):
    """An ISO 8601 date-time in a request (naive or with offset), years 1900–2999."""


class AwareDateTimeInput(_InRange, ma.fields.AwareDateTime):
    """An ISO 8601 date-time with offset (or ``default_timezone``) in a request, years 1900–2999."""


UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_timestamp(value: datetime) -> str:
    """``value`` as the API writes times (a naive value is taken as UTC, as storage is)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(UTC_FORMAT)


def rome_timestamp(value: datetime) -> str:
    """An event schedule time: Europe/Rome wall-clock time with its offset, whole seconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ROME).isoformat(timespec="seconds")


class UtcDateTime(_InRange, ma.fields.AwareDateTime):
    """A timestamp: read as ISO 8601 (no offset means UTC), written as ``UTC_FORMAT``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else utc_timestamp(value)


class Computed(ma.fields.Field[Any]):
    """``fn(obj)``, serialized and documented as ``field`` (``None`` stays ``null``)."""

    def __init__(self, fn: Callable[[Any], Any], field: ma.fields.Field[Any], **kwargs: Any) -> None:
        super().__init__(dump_only=True, **kwargs)
        self.fn = fn
        self.field = field
        # The documented type is the inner field's: it carries the nullability.
        self.field.allow_none = self.allow_none

    def get_value(
        self,
        obj: Any,
        attr: str,
        accessor: Callable[[Any, str, Any], Any] | None = None,
        default: Any = ma.missing,
    ) -> Any:
        return self.fn(obj)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else self.field._serialize(value, attr, obj, **kwargs)


def computed_properties(
    converter: Any, field: ma.fields.Field[Any], ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """apispec attribute function: a ``Computed`` is documented as its inner field."""
    if not isinstance(field, Computed):
        return {}
    inner = converter.field2property(field.field)
    ret.pop("type", None)  # the outer field's guess (``["null"]`` when nullable)
    return {key: value for key, value in inner.items() if key not in ret}


class StrictBoolean(ma.fields.Boolean):
    """A JSON ``true`` or ``false`` in a request body; refuses ``0``, ``1``, ``"yes"`` and
    friends, which marshmallow's ``Boolean`` takes (the contract says ``boolean``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class DateInput(_InRange, ma.fields.Date):
    """An ISO 8601 date in a request, years 1900–2999 (so adding days to it never overflows)."""
