#!/usr/bin/env bash
# The browser gate: the staff console driven in Chromium by Playwright, axe-core on every page.
# Installs what it needs when missing (Debian's chromium through apt, axe-core through npm,
# Playwright from pyproject's "browser" extra); screenshots land in artifacts/browser/.
# Extra arguments go to pytest (e.g. -k journey).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/python -m pip install --quiet -e ".[browser]"
if ! command -v chromium >/dev/null 2>&1; then
  echo "Chromium is missing: installing Debian's package"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --silent
fi
rm -rf artifacts/browser
BORSELLINO_BROWSER_TESTS=1 exec .venv/bin/python -m pytest -p no:cacheprovider tests/browser "$@"
