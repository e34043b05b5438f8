"""Instructions per request, counted by callgrind: repeatable whatever the machine's load.

    .venv/bin/python bench/callgrind_requests.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<scratch db> \
        [--scenario purchase refusal fee wallet] [--warmup 20] [--small 10] [--large 40]

For each scenario the database is wiped and seeded (like ``bench/ticket_rush.py``
and ``bench/wallet_pay.py``: real sign-in sessions, funded wallets), then two
processes run under ``valgrind --tool=callgrind``: each builds the app, sends
``--warmup`` requests through the Flask test client (imports, SQL compilation,
psycopg's prepared statements, the pool), then ``--small`` or ``--large``
measured ones. The difference of their instruction counts divided by
``large - small`` is one request's cost, start-up and warm-up cancelled out:
the Python process only (server code and test client), not PostgreSQL's own
work. Scenarios: a paid one-ticket purchase, a sold-out refusal, a one-fee
payment, a wallet read.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCENARIOS = ("purchase", "refusal", "fee", "wallet")


def prepare(url: str, scenario: str, needed: int) -> dict:
    """Seed the database; return what the child processes send."""
    if scenario == "fee":
        from bench.wallet_pay import prepare as prepare_fees

        _app, pairs = prepare_fees(url, patrons=needed, fees_each=1)
        return {"requests": [{"path": "/v1/fees/payments", "token": token, "json": {"fee_ids": [fee]},
                              "status": 201} for token, fee in pairs]}
    from sqlalchemy import update

    from bench.ticket_rush import new_occurrence, prepare as prepare_rush
    from backend.db import db
    from backend.events.models import Occurrence

    app, network_id, library_id, tokens = prepare_rush(url, needed)
    if scenario == "wallet":
        return {"requests": [{"method": "GET", "path": "/v1/wallet", "token": t, "status": 200} for t in tokens]}
    occurrence, ticket_type = new_occurrence(app, network_id, library_id, needed)
    status = 201
    if scenario == "refusal":
        status = 409
        with app.app_context():
            db.run_in_transaction(lambda s: s.execute(
                update(Occurrence).where(Occurrence.public_id == occurrence).values(sold=Occurrence.capacity)))
    body = {"items": [{"ticket_type": ticket_type, "quantity": 1}]}
    return {"requests": [{"path": f"/v1/events/occurrences/{occurrence}/orders", "token": t, "json": body,
                          "status": status} for t in tokens]}


def child(url: str, items_file: str, start: int, warmup: int, count: int) -> None:
    """Run under callgrind: build the app, warm up, send ``count`` measured requests."""
    from backend import create_app
    from bench.server import settings

    requests = json.loads(Path(items_file).read_text())["requests"][start:start + warmup + count]
    app = create_app(settings(url))
    client = app.test_client()
    for item in requests:
        headers = {"Authorization": f"Bearer {item['token']}"}
        if item.get("method", "POST") == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
            response = client.post(item["path"], json=item["json"], headers=headers)
        else:
            response = client.get(item["path"], headers=headers)
        if response.status_code != item["status"]:
            raise SystemExit(f"{item['path']}: {response.status_code} {response.get_data(as_text=True)[:300]}")


def instructions(url: str, items_file: str, start: int, warmup: int, count: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/callgrind.out",
             sys.executable, __file__, "--database-url", url, "--child", items_file,
             "--start", str(start), "--warmup", str(warmup), "--count", str(count)],
            capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or not found:
        raise SystemExit(run.stderr[-3000:])
    return int(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=40)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database_url, args.child, args.start, args.warmup, args.count)
        return
    for scenario in args.scenario:
        small_needed, large_needed = args.warmup + args.small, args.warmup + args.large
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as items:
            json.dump(prepare(args.database_url, scenario, small_needed + large_needed), items)
        small = instructions(args.database_url, items.name, 0, args.warmup, args.small)
        large = instructions(args.database_url, items.name, small_needed, args.warmup, args.large)
        Path(items.name).unlink()
        per_request = (large - small) / (args.large - args.small)
        print(f"{scenario}: {per_request / 1e6:.2f} M instructions per request "
              f"({small:,} for {args.small}, {large:,} for {args.large}, after {args.warmup} warm-up each)",
              flush=True)


if __name__ == "__main__":
    main()
