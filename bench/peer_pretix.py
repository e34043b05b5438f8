"""The same sell-out against pretix and against Borsellino, side by side, alternating.

    .venv/bin/python bench/peer_pretix.py [--pretix-dir /tmp/borsellino-peer-pretix] \
        [--buyers 2000] [--seats 300] [--connections 32] [--workers 3] [--rounds 2] \
        [--pretix-port 8156] [--borsellino-port 8157]

pretix (``--pretix-version``, from PyPI) is installed into its own virtual
environment in ``--pretix-dir``, outside this repository, with its own
PostgreSQL database (``<dir name>``) and configuration file; it is migrated,
given one organizer, one event with one ticket product at 5,00 € and one
300-seat quota, and an API token. Both systems are served by gunicorn with the
same number of sync workers, and both get the same rush from the same client
(threads over keep-alive connections, one request per buyer, all at once):
pretix's order-creating REST endpoint, Borsellino's ``POST /v1/events/
occurrences/{id}/orders`` (``bench/ticket_rush.py``'s data: funded patrons with
real sign-in sessions). Rounds alternate pretix, Borsellino, …, each after
waiting (up to ``--quiet-wait`` s) for the 1-minute load to fall under
``--quiet-load``. Each round prints purchases/s until sold out, p50/p99 of the
purchases, and checks from each database that exactly ``--seats`` were sold and
none oversold; the end prints the ratio. Exit 1 when a check fails.

The client is Python (both systems' numbers include its CPU on the same cores):
pretix does not echo a request id, which the wrk script of the ticket rush needs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PRETIX_SETUP = r"""
import json
from datetime import timedelta
from decimal import Decimal
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, Item, Organizer, Quota, Team, TeamAPIToken
import os
seats, rounds = (int(a) for a in json.loads(os.environ["BENCH_ARGS"]))
with scopes_disabled():
    organizer, _ = Organizer.objects.get_or_create(slug="bench", defaults={"name": "Biblioteca di prova"})
    team, _ = Team.objects.get_or_create(organizer=organizer, name="bench", defaults=dict(
        all_events=True, all_event_permissions=True, all_organizer_permissions=True))
    token = TeamAPIToken.objects.create(team=team, name="bench")
    events = []
    for n in range(rounds):
        event = Event.objects.create(organizer=organizer, name="Concerto di prova", slug=f"rush{now():%H%M%S}{n}",
                                     date_from=now() + timedelta(days=10), currency="EUR", live=True)
        item = Item.objects.create(event=event, name="Intero", default_price=Decimal("5.00"), admission=True)
        quota = Quota.objects.create(event=event, name="Sala", size=seats)
        quota.items.add(item)
        events.append({"slug": event.slug, "item": item.pk})
print("PRETIX-SETUP " + json.dumps({"token": token.token, "events": events}))
"""

PRETIX_SOLD = r"""
import json, os
from django_scopes import scopes_disabled
from pretix.base.models import OrderPosition
slug = json.loads(os.environ["BENCH_ARGS"])[0]
with scopes_disabled():
    print("PRETIX-SOLD", OrderPosition.objects.filter(order__event__slug=slug,
                                                      order__status__in=["n", "p"]).count())
"""


def pretix_env(folder: Path) -> dict:
    return {**os.environ, "PRETIX_CONFIG_FILE": str(folder / "pretix.cfg"), "DJANGO_SETTINGS_MODULE": "pretix.settings"}


def install_pretix(folder: Path, version: str, port: int) -> Path:
    python = folder / "venv/bin/python"
    if not python.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3", "-m", "venv", str(folder / "venv")], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"pretix=={version}", "gunicorn", "psycopg2-binary"],
            check=True,
        )
    database = folder.name.replace("-", "_")
    (folder / "data").mkdir(exist_ok=True)
    (folder / "pretix.cfg").write_text(
        f"[pretix]\ninstance_name=bench-peer\nurl=http://127.0.0.1:{port}\ncurrency=EUR\n"
        f"datadir={folder / 'data'}\n\n[database]\nbackend=postgresql\nname={database}\nuser=postgres\n"
        "host=127.0.0.1\nport=5432\n"
    )
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    subprocess.run(
        [str(python), "-m", "pretix", "migrate", "--noinput"],
        env=pretix_env(folder),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return python


def pretix_python(python: Path, folder: Path, code: str, *args: str) -> str:
    # Arguments through the environment: ``pretix shell -c`` takes only the code.
    run = subprocess.run(
        [str(python), "-m", "pretix", "shell", "-c", code],
        env={**pretix_env(folder), "BENCH_ARGS": json.dumps(args)},
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise SystemExit("pretix shell failed: " + run.stderr[-3000:])
    return run.stdout


def serve_pretix(python: Path, folder: Path, port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(python.with_name("gunicorn")),
            "pretix.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
        ],
        env=pretix_env(folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit("pretix did not start")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def rush(port: int, requests: list[tuple[str, str, dict]], connections: int):
    """Send every (path, body, headers) once over ``connections`` threads; [(status, latency, end)], wall."""
    queue = list(reversed(requests))
    lock = threading.Lock()
    results = []
    start = threading.Barrier(connections + 1)

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start.wait()
        while True:
            with lock:
                if not queue:
                    return
                path, body, headers = queue.pop()
            began = time.monotonic()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status = 0
            end = time.monotonic()
            with lock:
                results.append((status, end - began, end - t0[0]))

    t0 = [0.0]
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    t0[0] = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - t0[0]


def summary(name: str, results, wall: float, sold_ok: int, sold_checked: int, seats: int, load: float) -> dict:
    def pct(values, q):
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else None

    sold = [r for r in results if r[0] == sold_ok]
    sold_out_at = max((end for _, _, end in sold), default=0.0)
    by_status: dict[int, int] = {}
    for status, _, _ in results:
        by_status[status] = by_status.get(status, 0) + 1
    return {
        "system": name,
        "load_before": round(load, 2),
        "requests": len(results),
        "responses": by_status,
        "wall_s": round(wall, 2),
        "purchases": len(sold),
        "purchases_per_s_until_sold_out": round(len(sold) / sold_out_at, 1) if sold_out_at else None,
        "purchase_p50_ms": pct([r[1] for r in sold], 0.5),
        "purchase_p99_ms": pct([r[1] for r in sold], 0.99),
        "p99_ms_all": pct([r[1] for r in results], 0.99),
        "sold_in_database": sold_checked,
        "oversold": max(0, sold_checked - seats),
        "ok": sold_checked == seats == len(sold),
    }


def wait_for_quiet(limit: float, seconds: float) -> float:
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > limit and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pretix-dir", type=Path, default=Path("/tmp/borsellino-peer-pretix"))
    parser.add_argument("--pretix-version", default="2026.8.0")
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_peer",
        help="Borsellino's database (wiped)",
    )
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=300)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pretix-port", type=int, default=8156)
    parser.add_argument("--borsellino-port", type=int, default=8157)
    parser.add_argument("--quiet-load", type=float, default=2.0)
    parser.add_argument("--quiet-wait", type=float, default=300)
    args = parser.parse_args()

    from bench.server import serve
    from bench.server import stop as stop_borsellino
    from bench.ticket_rush import new_occurrence, prepare, verify

    folder = args.pretix_dir.resolve()
    if REPO in folder.parents or folder == REPO:
        raise SystemExit("--pretix-dir must be outside the repository")
    print(f"pretix {args.pretix_version} in {folder} …", flush=True)
    python = install_pretix(folder, args.pretix_version, args.pretix_port)
    setup = json.loads(
        pretix_python(python, folder, PRETIX_SETUP, str(args.seats), str(args.rounds))
        .split("PRETIX-SETUP ", 1)[1]
        .splitlines()[0]
    )
    print(f"Borsellino: {args.buyers} funded patrons …", flush=True)
    app, network_id, library_id, tokens = prepare(args.database_url, args.buyers)
    pretix_server = serve_pretix(python, folder, args.pretix_port, args.workers)
    borsellino_server = serve(args.database_url, args.borsellino_port, args.workers)
    rows, failures = [], 0
    try:
        for n in range(args.rounds):
            event = setup["events"][n]
            body = json.dumps(
                {
                    "email": "bench@example.org",
                    "locale": "en",
                    "sales_channel": "web",
                    "positions": [{"item": event["item"]}],
                }
            )
            headers = {"Authorization": f"Token {setup['token']}", "Content-Type": "application/json"}
            path = f"/api/v1/organizers/bench/events/{event['slug']}/orders/"
            load = wait_for_quiet(args.quiet_load, args.quiet_wait)
            results, wall = rush(args.pretix_port, [(path, body, headers)] * args.buyers, args.connections)
            sold = int(pretix_python(python, folder, PRETIX_SOLD, event["slug"]).split("PRETIX-SOLD ", 1)[1].split()[0])
            rows.append(summary("pretix", results, wall, 201, sold, args.seats, load))
            print(json.dumps(rows[-1]), flush=True)

            occurrence, ticket_type = new_occurrence(app, network_id, library_id, args.seats)
            body = json.dumps({"items": [{"ticket_type": ticket_type, "quantity": 1}]})
            requests = [
                (
                    f"/v1/events/occurrences/{occurrence}/orders",
                    body,
                    {
                        "Authorization": f"Bearer {t}",
                        "Idempotency-Key": uuid.uuid4().hex,
                        "Content-Type": "application/json",
                    },
                )
                for t in tokens
            ]
            load = wait_for_quiet(args.quiet_load, args.quiet_wait)
            results, wall = rush(args.borsellino_port, requests, args.connections)
            check = verify(app, occurrence, args.seats, n + 1)
            row = summary("borsellino", results, wall, 201, check["tickets"], args.seats, load)
            row["ok"] = row["ok"] and check["charged_without_ticket"] == 0 and check["audit_clean"]
            rows.append(row)
            print(json.dumps(rows[-1]), flush=True)
    finally:
        stop(pretix_server)
        stop_borsellino(borsellino_server)
    failures = sum(not r["ok"] for r in rows)
    best = {
        name: max((r["purchases_per_s_until_sold_out"] or 0) for r in rows if r["system"] == name)
        for name in ("pretix", "borsellino")
    }
    print(
        json.dumps(
            {
                "best_purchases_per_s": best,
                "ratio_borsellino_to_pretix": round(best["borsellino"] / best["pretix"], 1) if best["pretix"] else None,
                "failures": failures,
            }
        ),
        flush=True,
    )
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
