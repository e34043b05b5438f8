"""JSON logs on stdout with a request id; never headers, bodies, PINs or tokens.

Nothing logs bound SQL parameters (engines are built with ``hide_parameters``)
nor request bodies. As a last line, every formatted line is scrubbed of what
looks like an email address, a phone number in international form, a codice
fiscale or a library card number, wherever it came from (a database error's
DETAIL, an SMTP refusal naming its recipient, a third-party library's message).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-Id"


_PERSONAL = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\+\d[\d ]{6,18}\d"), "<phone>"),
    (re.compile(r"\b[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z]\b"), "<codice fiscale>"),
    # Card numbers are a network code and digits (CSBNO0000001); public ids have an underscore.
    (re.compile(r"\b[A-Za-z]{2,8}\d{5,}\b"), "<card>"),
]


def scrub(text: str) -> str:
    """``text`` without the personal data a log line must never carry."""
    for pattern, replacement in _PERSONAL:
        text = pattern.sub(replacement, text)
    return text


class ScrubbingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        return True


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_borsellino", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stdout)
    handler._borsellino = True
    handler.setFormatter(
        ScrubbingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level"},
        )
    )
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic narrates every plugin it loads at INFO.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def install_request_logging(app: Flask) -> None:
    log = logging.getLogger("backend.request")

    @app.before_request
    def _start():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        # Accept a caller's id only if it is short and plain, so logs stay clean.
        ok = 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum()
        g.request_id = incoming if ok else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        started = g.get("request_started")
        if started is not None and request.path not in ("/healthz", "/readyz"):
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,  # no query string: it may carry tokens
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response
