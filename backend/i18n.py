"""Language of the response: Italian first, English on request.

The language comes from ``Accept-Language`` (negotiated by Werkzeug); outside a
request, or when nothing matches, it is Italian. Texts live next to the code
that uses them as ``Text(it=..., en=...)`` pairs, so a message and its
translation are read and changed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import has_request_context, request

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
# Babel locale of each language: Italian formats (12,50 €) and an English that
# keeps the euro sign before the amount (€12.50).
LOCALES = {"it": "it_IT", "en": "en_IE"}
# Local time of every library of the cooperation: schedules, receipts, statements.
ROME = ZoneInfo("Europe/Rome")


def negotiate_language(accept_language: str | None = None) -> str:
    if accept_language is None:
        if not has_request_context():
            return DEFAULT_LANGUAGE
        accept = request.accept_languages
    else:
        from werkzeug.datastructures import LanguageAccept
        from werkzeug.http import parse_accept_header

        accept = parse_accept_header(accept_language, LanguageAccept)
    return accept.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


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

    def render(self, language: str | None = None, **values) -> str:
        language = language or negotiate_language()
        template = self.en if language == "en" else self.it
        return template.format(**values) if values else template
