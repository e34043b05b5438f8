"""Server CPU per request of the ticket rush: gunicorn's processes and the database's PostgreSQL backends.

    .venv/bin/python bench/rush_cpu.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<scratch db> \
        [--workers 3] [--patrons 1000] [--skip-warmup] [--phases buy:32:300 refuse:32:600]

The database is wiped and seeded like ``bench/ticket_rush.py`` (funded patrons with
real sign-in sessions), gunicorn starts with ``backend/gunicorn_conf.py``, then an
unmeasured warm-up sale (200 requests over 8 connections; ``--skip-warmup`` leaves
the workers cold, as the first round of ``bench/peer_pretix.py``) and the phases:
``buy:C:N`` sends N one-ticket purchases over C connections (wrk) to a date with room
for all, ``refuse:C:N`` N to a sold-out date. Each phase prints the CPU seconds used by
gunicorn and by PostgreSQL per request, from /proc: what a request costs, which the
machine's other load disturbs far less than the rates (printed too, with the CPU busy
share and the load, for what they are worth on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.server import serve, stop  # noqa: E402
from bench.ticket_rush import burst_wrk, cpu_times, new_occurrence, prepare, server_cpu  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1)
    parser.add_argument("--patrons", type=int, default=1000)
    parser.add_argument("--phases", nargs="+", default=["buy:32:300", "refuse:32:600"])
    parser.add_argument("--skip-warmup", action="store_true")
    args = parser.parse_args()

    app, network_id, library_id, tokens = prepare(args.database_url, args.patrons)
    server = serve(args.database_url, args.port, args.workers)
    database = args.database_url.rsplit("/", 1)[-1]
    used = 0

    def take(n: int) -> list[str]:  # each patron buys at most 4 a date: cycle through them
        nonlocal used
        if used + n > len(tokens):
            used = 0
        used += n
        return tokens[used - n : used]

    def send(capacity: int, connections: int, n: int):
        occurrence, ticket_type = new_occurrence(app, network_id, library_id, capacity)
        body = json.dumps({"items": [{"ticket_type": ticket_type, "quantity": 1}]}, separators=(",", ":"))
        return burst_wrk(args.port, f"/v1/events/occurrences/{occurrence}/orders", body, take(n), connections)

    try:
        if not args.skip_warmup:
            send(100, 8, 200)
        for phase in args.phases:
            kind, connections, n = phase.split(":")
            busy0, total0 = cpu_times()
            app0, pg0 = server_cpu(server.pid, database)
            results, wall = send(100_000 if kind == "buy" else 0, int(connections), int(n))
            app1, pg1 = server_cpu(server.pid, database)
            busy1, total1 = cpu_times()
            statuses: dict[int, int] = {}
            for status, _, _ in results:
                statuses[status] = statuses.get(status, 0) + 1
            latencies = sorted(latency for _, latency, _ in results)
            print(
                json.dumps(
                    {
                        "phase": phase,
                        "workers": args.workers,
                        "responses": statuses,
                        "gunicorn_cpu_ms_per_request": round((app1 - app0) * 1000 / len(results), 2),
                        "postgres_cpu_ms_per_request": round((pg1 - pg0) * 1000 / len(results), 2),
                        "requests_per_s": round(len(results) / wall, 1),
                        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
                        "p99_ms": round(latencies[int(0.99 * len(latencies))] * 1000, 1),
                        "cpu_busy": round((busy1 - busy0) / max(1, total1 - total0), 2),
                        "load": round(os.getloadavg()[0], 2),
                    }
                ),
                flush=True,
            )
    finally:
        stop(server)


if __name__ == "__main__":
    main()
