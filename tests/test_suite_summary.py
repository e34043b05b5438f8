"""On SQLite the suite says, in one line at the end, that the real-concurrency tests did not run and how to run them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_postgres_only_tests_skipped_on_sqlite_are_announced_with_how_to_run_them(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/events/test_concurrency.py",
            "--basetemp",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [line] = [line for line in run.stdout.splitlines() if line.startswith("NOTE:")]
    assert "PostgreSQL-only tests" in line and "SKIPPED on SQLite" in line
    assert "TEST_DATABASE_URL=postgresql+psycopg://" in line and "scripts/test.sh" in line
