#!/usr/bin/env bash
# Gate: typed clients from the contract. TypeScript (openapi-typescript, TypeScript 5): generate,
# then compile the app's journey (mobile_api_spec/clients/journey.ts) with tsc --noEmit --strict;
# Python (openapi-python-client): generate and run the same journey against a live server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/contract_tools.sh
echo "== TypeScript client (openapi-typescript $(openapi-typescript --version 2>/dev/null | tr -dc '0-9.'), tsc $(tsc --version | cut -d' ' -f2))"
openapi-typescript mobile_api_spec/openapi.json --default-non-nullable false \
  -o mobile_api_spec/clients/generated/api.d.ts
tsc -p mobile_api_spec/clients/tsconfig.json --noEmit --strict
echo "journey.ts compiles strictly: nothing it reads is any/unknown"
echo "== Python client (openapi-python-client) journey against a live server"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_python_client.py
