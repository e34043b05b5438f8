from contextlib import contextmanager

import pytest


@pytest.fixture
def configure(app):
    """Temporarily change the app's settings (e.g. turn a channel on)."""

    @contextmanager
    def _configure(**overrides):
        original = app.config["SETTINGS"]
        app.config["SETTINGS"] = original.with_overrides(**overrides)
        try:
            yield app.config["SETTINGS"]
        finally:
            app.config["SETTINGS"] = original

    return _configure


@pytest.fixture
def database(app):
    return app.extensions["borsellino.db"]
