"""What one ticket purchase and one sold-out refusal cost: SQL statements, commits, CPU, in-process.

    .venv/bin/python bench/ticket_rush_profile.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_bench_events \
        [--requests 300] [--show-sql]

Prepares the database like ``bench/ticket_rush.py`` (it is wiped), then sends
``--requests`` paid one-ticket purchases (to an occurrence with room for all)
and as many refusals (to a sold-out occurrence) one after the other through
the Flask test client: the same request path as under gunicorn (token and
session check, idempotency claim, unit of work), minus the HTTP server. CPU is
this process's (test client included); the database's own CPU is not in it.
For a sampling profile run it under ``py-spy record``. Not a throughput
measurement: use ``bench/ticket_rush.py`` for that.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.ticket_rush import new_occurrence, prepare  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()

    from sqlalchemy import event, update

    from backend.events.models import Occurrence
    from backend.web.database import db

    warmup = 20
    app, network_id, library_id, tokens = prepare(args.database_url, 2 * (args.requests + warmup))
    engine = app.extensions["borsellino.db"].engine
    statements: list[str] = []
    commits = [0]
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: statements.append(sql))
    event.listen(engine, "commit", lambda conn: commits.__setitem__(0, commits[0] + 1))
    client = app.test_client()
    spare = iter(tokens)

    def measure(label: str, occurrence: str, ticket_type: str, expected: int) -> None:
        body = {"items": [{"ticket_type": ticket_type, "quantity": 1}]}

        def send():
            response = client.post(
                f"/v1/events/occurrences/{occurrence}/orders",
                json=body,
                headers={"Authorization": f"Bearer {next(spare)}", "Idempotency-Key": uuid.uuid4().hex},
            )
            assert response.status_code == expected, response.get_data(as_text=True)

        for _ in range(warmup):  # imports, caches, the pool
            send()
        counts, commit_counts, cpu, wall = [], [], [], []
        for n in range(args.requests):
            statements.clear()
            commits[0] = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            send()
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            counts.append(len(statements))
            commit_counts.append(commits[0])
            if args.show_sql and n == 0:
                for i, sql in enumerate(statements, 1):
                    print(f"  {i:2d}. {' '.join(sql.split())[:150]}")
        print(
            f"{label}: {len(cpu)} requests  statements: {statistics.mean(counts):.1f}  "
            f"commits: {statistics.mean(commit_counts):.1f}  CPU ms: median {statistics.median(cpu):.2f}, "
            f"mean {statistics.mean(cpu):.2f}  wall ms: median {statistics.median(wall):.2f}"
        )

    capacity = args.requests + warmup
    measure("paid purchase", *new_occurrence(app, network_id, library_id, capacity), expected=201)
    sold_out = new_occurrence(app, network_id, library_id, 1)
    with app.app_context():
        db.run_in_transaction(
            lambda s: s.execute(
                update(Occurrence).where(Occurrence.public_id == sold_out[0]).values(sold=Occurrence.capacity)
            )
        )
    measure("sold-out refusal", *sold_out, expected=409)


if __name__ == "__main__":
    main()
