"""Rate limiting (Flask-Limiter): memory by default, Redis when configured.

Limits are declared on the views that need them (sign-in, activation);
exceeding one is a 429 in the common error shape. Only those views consult the
limiter: its decorator checks the limit when the view is called, and the
app-wide hook Flask-Limiter installs for default limits (there are none) is
taken out, so that every other request skips it.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def init_limiter(app: Flask) -> None:
    # The limiter's after_request hook sends ``Retry-After`` on every limited
    # response, successes included; Flask runs after_request hooks in reverse
    # order, so this one, registered first, cleans up after it.
    app.after_request(retry_after_only_when_refused)
    limiter.init_app(app)
    # The before_request hook would evaluate default and blueprint limits on every
    # request (about half a million instructions each); the app declares none.
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]


# Statuses whose answer tells the client when to try again.
_RETRY_STATUSES = (409, 429, 503)


def retry_after_only_when_refused(response):
    """after_request: keep ``Retry-After`` where it means "try again later"."""
    if response.status_code not in _RETRY_STATUSES:
        response.headers.pop("Retry-After", None)
    return response
