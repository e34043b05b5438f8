#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install Borsellino with its test and PostgreSQL extras.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"Borsellino needs Python 3.11 or newer; this is {sys.version.split()[0]}. Set PYTHON=python3.11")
PY
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet -e ".[dev,pg]"
