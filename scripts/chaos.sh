#!/usr/bin/env bash
# The chaos run (bench/chaos.py) on a fresh PostgreSQL database, dropped afterwards.
# PostgreSQL at $PGHOST:$PGPORT (127.0.0.1:5432), user postgres; CHAOS_DB names the database.
# Extra arguments go to bench/chaos.py (e.g. --seconds 300 --clients 24). Exits 1 on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"
CHAOS_DB="${CHAOS_DB:-borsellino_chaos_$(date +%s)_$$}"
admin() { .venv/bin/python - "$1" "$PGHOST" "$PGPORT" <<'PY'
import sys, psycopg
with psycopg.connect(f"host={sys.argv[2]} port={sys.argv[3]} user=postgres dbname=postgres", autocommit=True) as conn:
    conn.execute(sys.argv[1])
PY
}
admin "DROP DATABASE IF EXISTS \"$CHAOS_DB\" WITH (FORCE)"
admin "CREATE DATABASE \"$CHAOS_DB\""
trap 'admin "DROP DATABASE IF EXISTS \"$CHAOS_DB\" WITH (FORCE)"' EXIT
.venv/bin/python bench/chaos.py --database-url "postgresql+psycopg://postgres@$PGHOST:$PGPORT/$CHAOS_DB" "$@"
