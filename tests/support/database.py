"""The test database: SQLite file by default, PostgreSQL when TEST_DATABASE_URL says so."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.migrations_support import upgrade
from backend.models import metadata


def test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    folder = Path(tempfile.mkdtemp(prefix="borsellino-test-"))
    return f"sqlite:///{folder / 'test.sqlite'}"


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def reset_and_migrate(url: str) -> None:
    """Empty the database (PostgreSQL: its public schema) and apply every migration."""
    if is_postgres(url):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)


def empty_all_tables(engine) -> None:
    """Remove every row between tests (TRUNCATE on PostgreSQL skips row triggers)."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
