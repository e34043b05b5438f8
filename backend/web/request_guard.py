"""Refuse input no field could ever accept, once, before any view, limiter or schema sees it.

Run as the app's first ``before_request`` hook (after the request id), so a
rate-limit key, a schema, the idempotency fingerprint and the database all
only ever see input that passed:

- NUL bytes (PostgreSQL refuses them in text) and lone UTF-16 surrogates
  (nothing can encode them: not the database, not Redis) in the path, the
  query string, form fields and every string (and key) of a JSON body;
- a JSON body that is not an object: every endpoint takes an object;
- a URL longer than ``MAX_URL`` (414) or a header larger than ``MAX_HEADER``
  (431). gunicorn's own limits (``backend/gunicorn_conf.py``) sit above these,
  so this JSON answer is what a client gets; only beyond gunicorn's limits does
  gunicorn answer with its own plain error page;
- JSON nested deeper than ``MAX_DEPTH`` (recursive code downstream would blow
  the stack), integers outside 64 bits (no column holds them, and their
  decimal text costs quadratic time), NaN and infinities.

The JSON body is parsed here once; Flask's ``request.get_json`` and the
schemas' parser reuse that parse (``checked_json``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request, request

from backend.errors import (
    BODY_NOT_OBJECT,
    HEADERS_TOO_LARGE,
    INVALID_CHARACTERS,
    JSON_TOO_DEEP,
    MALFORMED_REQUEST,
    NUMBER_OUT_OF_RANGE,
    URI_TOO_LONG,
    DomainError,
)

MAX_DEPTH = 32  # named in the JSON_TOO_DEEP message
MAX_URL = 4096  # path + query string, named in the URI_TOO_LONG message
MAX_HEADER = 8192  # name + value of one header, named in the HEADERS_TOO_LARGE message
INT_LIMIT = 2**63
# Longer than any 64-bit integer's text: refused before int() does quadratic work on it.
MAX_INT_DIGITS = 20
_UNSET = object()


def bad_text(value: str) -> bool:
    """True if ``value`` holds a NUL byte or a lone surrogate."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_text(field: str) -> DomainError:
    return DomainError(INVALID_CHARACTERS, param=field)


class _OutOfRange:
    """Stands in for a number no field accepts, so the walk can name the field."""


OUT_OF_RANGE = _OutOfRange()


def _parse_int(text: str):
    if len(text.lstrip("-")) > MAX_INT_DIGITS or not -INT_LIMIT <= (number := int(text)) < INT_LIMIT:
        return OUT_OF_RANGE
    return number


def _parse_float(text: str):
    number = float(text)
    return OUT_OF_RANGE if number in (float("inf"), float("-inf")) else number


def _parse_constant(text: str):
    return OUT_OF_RANGE  # NaN, Infinity, -Infinity: not JSON, though Python accepts them


def _path(parts: tuple) -> str:
    return ".".join(str(p) for p in parts) or "body"


def check_value(value: Any) -> None:
    """Walk a parsed JSON value without recursion: depth, strings, keys, numbers."""
    stack = [(value, (), 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if bad_text(item):
                raise _refuse_text(_path(where))
        elif item is OUT_OF_RANGE:
            raise DomainError(NUMBER_OUT_OF_RANGE, param=_path(where))
        elif isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise DomainError(JSON_TOO_DEEP, param=_path(where))
            for key, sub in item.items():
                if bad_text(key):
                    raise _refuse_text(_path(where) if where else "body")
                stack.append((sub, (*where, key), depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise DomainError(JSON_TOO_DEEP, param=_path(where))
            stack.extend((sub, (*where, i), depth + 1) for i, sub in enumerate(item))


def parse_json(raw: bytes) -> Any:
    """The body as JSON, or a 400 ``DomainError`` saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError(MALFORMED_REQUEST) from None
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except RecursionError:
        raise DomainError(JSON_TOO_DEEP, param="body") from None
    except ValueError:
        raise DomainError(MALFORMED_REQUEST) from None
    check_value(value)
    return value


def checked_json(req: Request) -> Any:
    """The JSON body the guard parsed and checked, or ``None`` if it parsed none."""
    return getattr(req, "borsellino_json", None)


def guard_request() -> None:
    """``before_request`` hook: raise a 4xx ``DomainError`` for input nothing may accept."""
    if len(request.full_path) > MAX_URL:
        raise DomainError(URI_TOO_LONG)
    if any(len(name) + len(value) > MAX_HEADER for name, value in request.headers.items()):
        raise DomainError(HEADERS_TOO_LARGE)
    if bad_text(request.path):
        raise _refuse_text("path")
    for name, value in request.args.items(multi=True):
        if bad_text(name) or bad_text(value):
            raise _refuse_text(name if not bad_text(name) else "query")
    if request.is_json:
        raw = request.get_data(cache=True)
        if raw.strip():
            body = parse_json(raw)
            if not isinstance(body, dict):
                raise DomainError(BODY_NOT_OBJECT, param="body")
            request.borsellino_json = body
            # Flask's own cache, so ``request.get_json()`` returns this parse.
            request._cached_json = (body, body)
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if bad_text(name) or bad_text(value):
                raise _refuse_text(name if not bad_text(name) else "form")
