"""Rate limiting (Flask-Limiter): memory by default, Redis when configured.

Limits are declared on the views that need them (sign-in, activation);
exceeding one is a 429 in the common error shape.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
