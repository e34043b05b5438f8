#!/usr/bin/env bash
# Node.js, npm and the contract's npm tools (mobile_api_spec/tools, pinned by its package-lock.json).
# Sourced by the contract gates; installs what a clean machine lacks (nodejs and npm through apt).
set -euo pipefail
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/mobile_api_spec/tools"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Node.js/npm missing: installing Debian's nodejs and npm"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d "$TOOLS/node_modules" ] || [ "$TOOLS/package-lock.json" -nt "$TOOLS/node_modules" ]; then
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$TOOLS/node_modules"
fi
export PATH="$TOOLS/node_modules/.bin:$PATH"
