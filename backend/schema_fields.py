"""Request fields shared by every domain's schemas.

Date-times in requests are kept to years 1900–2999: far enough for any
filter or schedule, and far from the edges where converting between Europe/Rome
and UTC, or adding a day, overflows Python's ``datetime`` (``0001-01-01`` or
``9999-12-31`` answered 500).
"""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma

MIN_YEAR, MAX_YEAR = 1900, 2999


class _InRange:
    default_error_messages = {"out_of_range": f"Date out of range (years {MIN_YEAR}–{MAX_YEAR})."}

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise self.make_error("out_of_range")
        return parsed


class DateTimeInput(_InRange, ma.fields.DateTime):
    """An ISO 8601 date-time in a request (naive or with offset), years 1900–2999."""


class AwareDateTimeInput(_InRange, ma.fields.AwareDateTime):
    """An ISO 8601 date-time with offset (or ``default_timezone``) in a request, years 1900–2999."""


class DateInput(_InRange, ma.fields.Date):
    """An ISO 8601 date in a request, years 1900–2999 (so adding days to it never overflows)."""
