from contextlib import contextmanager

import pytest

from backend.web.app import configure_database


@pytest.fixture
def configure(app):
    """Temporarily change the app's settings (e.g. turn a channel on)."""

    @contextmanager
    def _configure(**overrides):
        original = app.config["SETTINGS"]
        app.config["SETTINGS"] = original.with_overrides(**overrides)
        configure_database(app.extensions["borsellino.db"], app.config["SETTINGS"])
        try:
            yield app.config["SETTINGS"]
        finally:
            app.config["SETTINGS"] = original
            configure_database(app.extensions["borsellino.db"], original)

    return _configure


@pytest.fixture
def database(app):
    return app.extensions["borsellino.db"]
