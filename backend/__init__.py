"""Borsellino: the wallet backend of the Rete delle Reti patron app.

The package itself is empty, so importing a core module (``backend.db``,
``backend.ledger.services``) loads no Flask and no app. The app factory lives in
``backend.web.app``; ``create_app`` is offered here too, loaded on first use, so
that ``FLASK_APP=backend`` and ``from backend import create_app`` keep working.
"""

from __future__ import annotations


def __getattr__(name: str):
    if name == "create_app":
        from backend.web.app import create_app

        return create_app
    raise AttributeError(f"module 'backend' has no attribute {name!r}")
