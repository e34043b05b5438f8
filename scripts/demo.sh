#!/usr/bin/env bash
# Install, then create, seed and serve the SQLite demo on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/borsellino demo "$@"
