#!/usr/bin/env bash
# Gate: Spectral (spectral:oas + mobile_api_spec/.spectral.yaml) over the contract; fails on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/contract_tools.sh
spectral lint mobile_api_spec/openapi.json --ruleset mobile_api_spec/.spectral.yaml --fail-severity error \
  --display-only-failures
echo "Spectral: 0 errors"
