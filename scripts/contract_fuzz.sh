#!/usr/bin/env bash
# Gate: Schemathesis over every operation of the contract, against gunicorn on a fresh PostgreSQL
# database with the demo data, signed in as a patron and as each staff role (fixed seed, bounded
# examples: FUZZ_MAX_EXAMPLES, default 6). Fails on any server error or any response outside the
# documented schemas, statuses or content types, and on invalid requests accepted.
set -euo pipefail
cd "$(dirname "$0")/.."
pg_up() { .venv/bin/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; }
if ! pg_up; then
  echo "PostgreSQL is not answering: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
exec .venv/bin/python mobile_api_spec/fuzz/run.py "$@"
