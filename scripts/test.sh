#!/usr/bin/env bash
# Install, then run the test suite. TEST_DATABASE_URL picks the database
# (default: a temporary SQLite file); extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m pytest "$@"
