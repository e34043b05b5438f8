"""Language of the response: Italian first, English on request.

The language of a request comes from ``Accept-Language``
(``backend.web.language.negotiate_language``); callers pass it explicitly, and
when none is given or nothing matches it is Italian. Texts live next to the code
that uses them as ``Text(it=..., en=...)`` pairs, so a message and its
translation are read and changed together. No app is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
# Babel locale of each language: Italian formats (12,50 €) and an English that
# keeps the euro sign before the amount (€12.50).
LOCALES = {"it": "it_IT", "en": "en_IE"}
# Local time of every library of the cooperation: schedules, receipts, statements.
ROME = ZoneInfo("Europe/Rome")


def local_time(value: datetime, language: str, pattern: str = "dd/MM/yyyy HH:mm") -> str:
    """An aware (UTC) time as people read it: Europe/Rome wall clock, in the language's locale."""
    return format_datetime(value.astimezone(ROME), pattern, locale=LOCALES[normalize_language(language)])


def normalize_language(value: str | None) -> str:
    value = (value or "").split("-")[0].lower()
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Text:
    """A user-facing text in both languages, with ``str.format`` placeholders."""

    it: str
    en: str

    def render(self, language: str | None, **values: object) -> str:
        template = self.en if language == "en" else self.it
        return template.format(**values) if values else template
