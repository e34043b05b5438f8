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
    limiter.init_app(app)
    # The before_request hook would evaluate default and blueprint limits on every
    # request (about half a million instructions each); the app declares none.
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]
