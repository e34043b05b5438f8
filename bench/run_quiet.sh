#!/usr/bin/env bash
# Every wall-clock benchmark of docs/benchmarks.md, one after the other, on a quiet machine,
# then one results table (bench/quiet_report.py) to paste into docs/benchmarks.md.
#
#   bash bench/run_quiet.sh                # about 12–15 minutes, each benchmark bounded
#   SMOKE=1 bash bench/run_quiet.sh        # a few seconds each: proves the script, measures nothing
#
# gunicorn + PostgreSQL (127.0.0.1:5432, user postgres), wrk (installed with apt-get when
# missing). Each benchmark wipes and seeds its own database, created when missing:
# ${BENCH_DB_PREFIX}_events, _fees, _passes, _donations, _peer (default prefix borsellino_bench).
# Servers listen from ${BENCH_PORT_BASE} (default 8100) to +9. The TPC-B baseline runs in the
# same gunicorn as the endpoint it is compared with, in the same run. pretix runs only when
# its venv is there or installs within ${PEER_INSTALL_SECONDS} (default 600) from the
# configured package index; its rounds alternate with Borsellino's (2 each).
# Logs and the table go to ${BENCH_OUT} (default artifacts/bench-quiet-<UTC time>).
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PREFIX=${BENCH_DB_PREFIX:-borsellino_bench}
PORT=${BENCH_PORT_BASE:-8100}
OUT=${BENCH_OUT:-artifacts/bench-quiet-$(date -u +%Y%m%dT%H%M%SZ)}
PG=postgresql+psycopg://postgres@127.0.0.1:5432
PRETIX_DIR=${PRETIX_DIR:-/tmp/borsellino-peer-pretix}
mkdir -p "$OUT"
: >"$OUT/status.txt"

if ! command -v wrk >/dev/null; then
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; }
fi
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

$PY - "$PREFIX" <<'EOF'
import sys
import psycopg
with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
    for name in ("events", "fees", "passes", "donations", "peer"):
        database = f"{sys.argv[1]}_{name}"
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
EOF

if [ -n "${SMOKE:-}" ]; then
    # Tiny sizes: each benchmark runs end to end in seconds (the numbers mean nothing).
    RUSH=(--patrons 250 --seats 20 --connections 8 --workers 1)
    FEE=(--patrons 60 --fees-each 6 --connections 8 --seconds 1 --workers 1)
    PASS=(--patrons 400 --connections 8 --seconds 1 --workers 1)
    DONATION=(--patrons 200 --connections 8 --seconds 1 --workers 1)
    PEER=(--buyers 60 --seats 20 --connections 8 --rounds 2 --quiet-wait 0 --workers 1)
    LIMITS=(120 120 150 120 300)
else
    RUSH=(--connections 32)
    FEE=(--connections 32 --seconds 15)
    PASS=(--patrons 9000 --connections 8 32 --seconds 8)
    DONATION=(--connections 32 --seconds 15)
    PEER=(--buyers 2000 --seats 300 --connections 32 --rounds 2 --quiet-load 3 --quiet-wait 20)
    LIMITS=(150 120 180 120 320)
fi

run() {  # name, seconds allowed, command…
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit}s): $*" | tee -a "$OUT/run.log"
    local start=$SECONDS
    # SIGINT: the benchmark stops its gunicorn on the way out (a SIGTERM would leave it running).
    timeout --signal=INT --kill-after=20 "$limit" "$@" >"$OUT/$name.log" 2>&1
    local code=$?
    echo "$name $code" >>"$OUT/status.txt"
    echo "   exit $code after $((SECONDS - start))s" | tee -a "$OUT/run.log"
}

run rush "${LIMITS[0]}" $PY bench/ticket_rush.py --database-url "$PG/${PREFIX}_events" --port $((PORT + 2)) "${RUSH[@]}"
run fee "${LIMITS[1]}" $PY bench/wallet_pay.py --database-url "$PG/${PREFIX}_fees" --port $((PORT + 1)) "${FEE[@]}"
run pass "${LIMITS[2]}" $PY bench/pass_validation.py --database-url "$PG/${PREFIX}_passes" --port $((PORT + 3)) "${PASS[@]}"
run donation "${LIMITS[3]}" $PY bench/donation_rush.py --database-url "$PG/${PREFIX}_donations" --port $((PORT + 4)) "${DONATION[@]}"

if [ ! -x "$PRETIX_DIR/venv/bin/gunicorn" ]; then
    echo "== installing pretix into $PRETIX_DIR (at most ${PEER_INSTALL_SECONDS:-600}s)" | tee -a "$OUT/run.log"
    python3 -m venv "$PRETIX_DIR/venv" &&
        timeout "${PEER_INSTALL_SECONDS:-600}" "$PRETIX_DIR/venv/bin/python" -m pip install --quiet \
            pretix==2026.8.0 gunicorn psycopg2-binary >"$OUT/peer-install.log" 2>&1
fi
if [ -x "$PRETIX_DIR/venv/bin/gunicorn" ]; then
    run peer "${LIMITS[4]}" $PY bench/peer_pretix.py --pretix-dir "$PRETIX_DIR" --database-url "$PG/${PREFIX}_peer" \
        --pretix-port $((PORT + 5)) --borsellino-port $((PORT + 6)) "${PEER[@]}"
else
    echo "peer skipped" >>"$OUT/status.txt"
    echo "== peer skipped: pretix did not install (see $OUT/peer-install.log)" | tee -a "$OUT/run.log"
fi

{
    echo
    echo "Results ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load before the first run in each row):"
    echo
    $PY bench/quiet_report.py "$OUT"
} | tee "$OUT/results.md"
echo "logs: $OUT"
