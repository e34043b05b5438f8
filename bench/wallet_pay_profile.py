"""Where one fee payment's time goes: SQL statements and Python CPU, in-process.

    .venv/bin/python bench/wallet_pay_profile.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_feeperf \
        [--payments 50] [--show-sql] [--cprofile 25]

Prepares the database like ``bench/wallet_pay.py`` (it is wiped), then pays
``--payments`` fees one after the other through the Flask test client (same
request path as gunicorn: auth, idempotency, unit of work), counting the SQL
statements and commits of each request with SQLAlchemy's cursor events. With
``--show-sql`` it prints the statements of one payment; with ``--cprofile N``
the N functions with the most cumulative time. Not a throughput measurement:
use ``bench/wallet_pay.py`` for that.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--payments", type=int, default=50)
    parser.add_argument("--patrons", type=int, default=100)
    parser.add_argument("--fees-each", type=int, default=2, help="40 and 500 patrons: the benchmark's data")
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime…")
    args = parser.parse_args()

    from sqlalchemy import event

    sys.path.insert(0, str(REPO / "bench"))
    from wallet_pay import prepare

    app, pairs = prepare(args.database_url, patrons=args.patrons, fees_each=args.fees_each)
    engine = app.extensions["borsellino.db"].engine
    statements: list[str] = []
    durations: list[float] = []
    commits = [0]
    started_at = [0.0]

    def before(conn, cursor, sql, params, context, many):
        statements.append(sql)
        started_at[0] = time.perf_counter()

    def after(conn, cursor, sql, params, context, many):
        durations.append((time.perf_counter() - started_at[0]) * 1000)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "commit", lambda conn: commits.__setitem__(0, commits[0] + 1))
    client = app.test_client()

    def pay(token, fee_id):
        response = client.post(
            "/v1/fees/payments",
            json={"fee_ids": [fee_id]},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.get_data(as_text=True)

    for token, fee_id in pairs[:5]:  # warm imports, caches and the pool
        pay(token, fee_id)
    counts, commit_counts, times, cpu, sql_ms = [], [], [], [], []
    shown = False
    todo = pairs[5 : 5 + args.payments]
    profiler = cProfile.Profile() if args.cprofile else None
    for token, fee_id in todo:
        statements.clear()
        durations.clear()
        commits[0] = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        pay(token, fee_id)
        if profiler:
            profiler.disable()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        counts.append(len(statements))
        sql_ms.append(sum(durations))
        commit_counts.append(commits[0])
        if args.show_sql and not shown:
            shown = True
            for n, sql in enumerate(statements, 1):
                print(f"{n:2d}. {durations[n - 1]:5.1f} ms  {' '.join(sql.split())[:160]}")
    print(
        f"payments: {len(todo)}  statements/payment: {statistics.mean(counts):.1f} "
        f"(min {min(counts)}, max {max(counts)})  commits/payment: {statistics.mean(commit_counts):.1f}  "
        f"wall ms: median {statistics.median(times):.1f}, mean {statistics.mean(times):.1f}  "
        f"in SQL statements: median {statistics.median(sql_ms):.1f}  Python CPU ms: median {statistics.median(cpu):.1f}"
    )
    if profiler:
        profiler.dump_stats("/tmp/wallet_pay.pstats")
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.cprofile)


if __name__ == "__main__":
    main()
