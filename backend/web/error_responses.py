"""The HTTP half of the error shape: every error becomes ``{"error": {...}}``.

``backend.errors`` holds the codes and ``DomainError``; here they are rendered
in the request's language (``backend.web.language``) as JSON responses, and
Werkzeug's errors, validation errors and crashes are mapped to the same shape.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from backend.errors import (
    CONFLICT,
    FORBIDDEN,
    INTERNAL_ERROR,
    MALFORMED_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    PAYLOAD_TOO_LARGE,
    RATE_LIMITED,
    SERVICE_UNAVAILABLE,
    UNAUTHENTICATED,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    DomainError,
)
from backend.web.language import negotiate_language

log = logging.getLogger(__name__)

_BY_STATUS = {
    e.status: e
    for e in (
        MALFORMED_REQUEST,
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        CONFLICT,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        RATE_LIMITED,
        INTERNAL_ERROR,
        SERVICE_UNAVAILABLE,
    )
}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


def _first_field(messages, prefix: str = "") -> str:
    """Dotted path of the first invalid field in marshmallow's nested messages."""
    if isinstance(messages, dict) and messages:
        key = sorted(messages, key=str)[0]
        sub = messages[key]
        path = f"{prefix}.{key}" if prefix else str(key)
        if key == "_schema":
            return prefix or "body"
        return _first_field(sub, path) if isinstance(sub, dict) else path
    return prefix or "body"


def error_response(error: DomainError):
    response = jsonify(error.body(negotiate_language()))
    response.status_code = error.error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def handle_domain_error(error: DomainError):
    return error_response(error)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if status in (400, 422) and messages:
        return validation_error_response(messages)
    if status == 400:
        code = MALFORMED_REQUEST
    else:
        code = _BY_STATUS.get(status, INTERNAL_ERROR if status >= 500 else CONFLICT)
    response = error_response(DomainError(code))
    if status == 405:
        # Werkzeug knows the allowed methods; keep its Allow header.
        response.headers["Allow"] = exc.get_response().headers.get("Allow", "")
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def validation_error_response(messages):
    """400 with the first invalid field as ``param`` and every field's messages in ``details``."""
    details = _without_location(messages)
    field_name = _first_field(details)
    language = negotiate_language()
    response = jsonify(
        {
            "error": {
                "type": VALIDATION_ERROR.type,
                "code": VALIDATION_ERROR.code,
                "message": VALIDATION_ERROR.text.render(language, field=field_name),
                "param": field_name,
                "details": details,
            }
        }
    )
    response.status_code = 400
    return response


_LOCATIONS = ("json", "query", "headers", "form", "view_args", "path", "files", "cookies")


def _without_location(messages):
    """webargs nests messages under their location; merge those levels away."""
    if isinstance(messages, dict) and messages and all(k in _LOCATIONS for k in messages):
        merged = {}
        for value in messages.values():
            merged.update(value if isinstance(value, dict) else {"body": value})
        return merged
    return messages


def handle_unexpected(exc: Exception):
    log.exception("unhandled error")
    return error_response(DomainError(INTERNAL_ERROR))
