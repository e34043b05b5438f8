"""Rate limiting (Flask-Limiter): memory by default, Redis when configured.

Limits are declared on the views that need them (sign-in, activation);
exceeding one is a 429 in the common error shape.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


# Statuses whose answer tells the client when to try again.
_RETRY_STATUSES = (409, 429, 503)


def retry_after_only_when_refused(response):
    """after_request: the limiter sends ``Retry-After`` on every limited response,
    successes included; keep it where it means "try again later"."""
    if response.status_code not in _RETRY_STATUSES:
        response.headers.pop("Retry-After", None)
    return response
