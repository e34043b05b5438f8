#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install Borsellino with its test and PostgreSQL extras.
# Skips pip when pyproject.toml has not changed since the last install (the code itself is
# installed editable, so edits need no reinstall); FORCE_INSTALL=1 installs again.
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
stamp=.venv/.borsellino-installed
wanted=$(.venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest())')
if [ "${FORCE_INSTALL:-0}" != "1" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
echo "Installing Borsellino into .venv (once, and again when pyproject.toml changes)..."
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet -e ".[dev,pg]"
echo "$wanted" > "$stamp"
