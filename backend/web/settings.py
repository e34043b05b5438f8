"""The running app's settings and the request facts services receive as arguments."""

from __future__ import annotations

from flask import current_app, has_request_context, request

from backend.config import Settings


def current_settings() -> Settings:
    return current_app.config["SETTINGS"]


def user_agent() -> str:
    """The caller's ``User-Agent``, cut to what a session row keeps (empty outside a request)."""
    return request.headers.get("User-Agent", "")[:300] if has_request_context() else ""
