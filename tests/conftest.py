"""Fixtures: one migrated database per run, emptied after every test.

``TEST_DATABASE_URL`` picks the database (default: a temporary SQLite file);
CI runs the suite once on SQLite and once on a fresh PostgreSQL database.
"""

from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient

from backend import create_app
from backend.config import Settings
from backend.web.rate_limit import limiter
from tests.support.database import empty_all_tables, is_postgres, reset_and_migrate, test_database_url

# The console in a real browser is its own gate (bash scripts/browser.sh): it needs Chromium and axe-core.
collect_ignore = [] if os.environ.get("BORSELLINO_BROWSER_TESTS") else ["browser"]


POSTGRES_HINT = (
    "TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_test "
    "bash scripts/test.sh  (an empty database; CI runs them)"
)


def pytest_collection_modifyitems(config, items):
    config._borsellino_pg_skipped = 0
    if is_postgres(config._borsellino_db_url):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL); CI runs it there")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
            config._borsellino_pg_skipped += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # The real-concurrency tests protect the money: say loudly that they did not run.
    skipped = getattr(config, "_borsellino_pg_skipped", 0)
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {skipped} PostgreSQL-only tests (real concurrency: double spends, last seats, races) "
            f"were SKIPPED on SQLite. Run them with: {POSTGRES_HINT}",
            yellow=True,
            bold=True,
        )


def pytest_configure(config):
    config._borsellino_db_url = test_database_url()


@pytest.fixture(scope="session")
def database_url(pytestconfig) -> str:
    url = pytestconfig._borsellino_db_url
    reset_and_migrate(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url) -> Settings:
    return Settings(
        database_url=database_url,
        testing=True,
        password_hash_fast=True,
        jwt_keys="k2026:test-signing-key-0123456789abcdef,k2025:older-key-0123456789abcdef0123456789",
        ratelimit_storage_uri="memory://",
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
def app(settings):
    app = create_app(settings)
    from tests.support.test_api import blp

    app.extensions["borsellino.api"].register_blueprint(blp)
    yield app
    app.extensions["borsellino.db"].dispose()


@pytest.fixture(autouse=True)
def _clean_state(request):
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        empty_all_tables(app.extensions["borsellino.db"].engine)
        with app.app_context():
            limiter.reset()


class _Client(FlaskClient):
    """Test client that first commits the test's ``db`` session.

    So data arranged in the test is visible to the API, and the test's own
    transaction (begun by any read, even a lazy load behind ``bearer()``)
    never holds a lock or an old snapshot across a request: reads after the
    request see what it wrote, on SQLite as on PostgreSQL.
    """

    test_session = None

    def open(self, *args, **kwargs):
        if self.test_session is not None:
            self.test_session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db):
    client = _Client(app, app.response_class, use_cookies=True)
    client.test_session = db
    return client


@pytest.fixture
def db(app):
    """A session for arranging and checking data; commit what the API must see.

    It begins DEFERRED on SQLite, so reading (even a lazy load behind
    ``bearer(patron)``) never holds the write lock the API needs; roll back
    or commit before writing again after the API wrote.
    """
    with app.app_context():
        session = app.extensions["borsellino.db"].new_session(immediate=False)
        try:
            yield session
        finally:
            session.close()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def is_pg(database_url) -> bool:
    return is_postgres(database_url)
