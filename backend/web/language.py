"""The language of the current request, negotiated from ``Accept-Language``."""

from __future__ import annotations

from flask import has_request_context, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from backend.i18n import DEFAULT_LANGUAGE, LANGUAGES


def negotiate_language(accept_language: str | None = None) -> str:
    """Italian or English: the header given, else the current request's; Italian outside a request."""
    if accept_language is None:
        if not has_request_context():
            return DEFAULT_LANGUAGE
        accept = request.accept_languages
    else:
        accept = parse_accept_header(accept_language, LanguageAccept)
    return accept.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE
