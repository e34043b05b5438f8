"""Sell-out benchmark: 2,000 funded patrons race for 300 seats through gunicorn + PostgreSQL.

    .venv/bin/python bench/ticket_rush.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_bench_events

The database is wiped and migrated. For each concurrency level (32 and 64 by
default) a fresh 300-seat occurrence goes on sale and every patron sends one
``POST /v1/events/occurrences/{id}/orders`` for one ticket, all at once, over
``--connections`` parallel HTTP connections. Afterwards it checks, from the
database: exactly 300 tickets sold, none oversold, nobody charged without a
ticket (every wallet equals its funding minus its tickets), and a clean
ledger audit. An unmeasured warm-up sale (100 seats, 200 requests over 8
connections) comes first, so that no round pays for workers loading modules
and compiling SQL. It prints requests/s (every answered purchase attempt, sold or
refused as sold out), the time to sell out, and p50/p99 latency.

The load comes from ``wrk`` (``--client wrk``, the default when it is
installed; script ``bench/ticket_rush.lua``): one C process on one thread, so
the server's two cores are not shared with a Python client. ``--client
python`` keeps the original threaded client. Each patron's token names a real
sign-in session, so every request pays the session-revocation check as in
production. Every round prints the load average before it, the machine's CPU
busy share during it, and the CPU the client itself used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.server import DEFAULT_WORKERS, serve, settings, stop  # noqa: E402

PRICE = 500
FUNDS = 5_000
WARMUP_SEATS = 100  # a warm-up sale before the measured rounds: 100 purchases and 100 refusals


def prepare(url: str, patrons: int):
    """Fresh schema, one library, ``patrons`` funded patrons and their access tokens."""
    from sqlalchemy import create_engine, text

    from backend import create_app
    from backend.accounts.claims import patron_claims
    from backend.accounts.models import AuthSession, Library, Network, Patron
    from backend.auth.tokens import issue_access_token
    from backend.db import utcnow
    from backend.ledger.services import Funding, credit, debit, house_account, post_entry, wallet_of
    from backend.migrations_support import upgrade
    from backend.money import Money
    from backend.web.database import db

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    app = create_app(settings(url))

    def seed(session):
        network = Network(code="BENCH", name="Rete di prova")
        library = Library(network=network, code="B1", name="Biblioteca di prova", city="Rho")
        session.add_all([network, library])
        session.flush()
        clearing = house_account(session, "card_clearing", "bench")
        people = []
        for n in range(patrons):
            patron = Patron(
                card_number=f"BENCH{n:06d}",
                home_network=network,
                home_library=library,
                first_name="Lettore",
                last_name=str(n),
                status="active",
                language="it",
            )
            session.add(patron)
            people.append(patron)
        session.flush()
        for patron in people:
            wallet = wallet_of(session, patron)
            post_entry(
                session,
                kind="topup_card",
                legs=[debit(clearing, Money(FUNDS)), credit(wallet, Money(FUNDS))],
                funding=Funding("card", f"pi_bench_{patron.id}"),
            )
        # A signed-in device per patron: tokens carry ``sid`` and pay the revocation check.
        devices = [AuthSession(patron=p, expires_at=utcnow() + timedelta(days=1)) for p in people]
        session.add_all(devices)
        session.flush()
        return (
            network.id,
            library.id,
            [
                issue_access_token(patron_claims(p, d.public_id), app.config["SETTINGS"])
                for p, d in zip(people, devices)
            ],
        )

    with app.app_context():
        network_id, library_id, tokens = db.run_in_transaction(seed)
    return app, network_id, library_id, tokens


def new_occurrence(app, network_id: int, library_id: int, capacity: int) -> tuple[str, str]:
    from backend.db import utcnow
    from backend.events.models import Event, Occurrence, TicketType
    from backend.web.database import db

    def make(session):
        event = Event(
            network_id=network_id,
            library_id=library_id,
            title="Concerto di prova",
            category="music",
            venue_name="Auditorium",
            status="published",
            per_patron_limit=4,
        )
        event.ticket_types.append(TicketType(name="Intero", kind="full", price=PRICE))
        event.occurrences.append(
            Occurrence(starts_at=utcnow() + timedelta(days=10), capacity=capacity, sold=0, status="scheduled")
        )
        session.add(event)
        session.flush()
        return event.occurrences[0].public_id, event.ticket_types[0].public_id

    with app.app_context():
        return db.run_in_transaction(make)


def rush(port: int, occurrence: str, ticket_type: str, tokens: list[str], connections: int):
    body = json.dumps({"items": [{"ticket_type": ticket_type, "quantity": 1}]})
    path = f"/v1/events/occurrences/{occurrence}/orders"
    results: list[tuple[int, float, float]] = []  # status, latency, finished at
    lock = threading.Lock()
    queue = list(reversed(tokens))
    start_gate = threading.Barrier(connections + 1)

    def worker():
        mine = []
        start_gate.wait()
        while True:
            with lock:
                if not queue:
                    break
                token = queue.pop()
            began = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": str(uuid.uuid4()),
                    "Content-Type": "application/json",
                },
            )
            response = conn.getresponse()
            response.read()
            conn.close()
            ended = time.perf_counter()
            mine.append((response.status, ended - began, ended))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return [(s, lat, end - t0) for s, lat, end in results], wall


def rush_wrk(port: int, occurrence: str, ticket_type: str, tokens: list[str], connections: int):
    """The same rush driven by wrk; results as ``rush``: (status, latency, finished at)."""
    body = json.dumps({"items": [{"ticket_type": ticket_type, "quantity": 1}]}, separators=(",", ":"))
    return burst_wrk(port, f"/v1/events/occurrences/{occurrence}/orders", body, tokens, connections)


def burst_wrk(port: int, path: str, body: str, tokens: list[str], connections: int):
    """One ``POST path`` per token (each with its own Idempotency-Key) through wrk, all at once.

    Returns ([(status, latency, finished at)], wall seconds); ``bench/donation_rush.py`` uses it too.
    """
    threads = 1
    with tempfile.TemporaryDirectory(prefix="ticket_rush_") as out:
        token_file = Path(out) / "tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n")
        command = [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            "600s",
            "--timeout",
            "60s",
            "-s",
            str(REPO / "bench/ticket_rush.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            str(token_file),
            str(threads),
            path,
            body,
            uuid.uuid4().hex[:12],
            out,
        ]
        t0 = time.monotonic()  # CLOCK_MONOTONIC, the clock the Lua script reads
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        files = [Path(out) / f"thread-{n}.tsv" for n in range(threads)]
        try:
            while not all(f.exists() for f in files):
                if process.poll() is not None:
                    raise SystemExit("wrk ended early: " + process.stdout.read().decode()[-2000:])
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGINT)  # wrk runs until told; its own summary is not used
            process.communicate(timeout=30)
        wall = max(float(line.split("\t")[2]) for f in files for line in f.read_text().splitlines())
        results = []
        for f in files:
            for line in f.read_text().splitlines():
                status, latency, ended = line.split("\t")
                results.append((int(status), float(latency), float(ended) - t0))
    return results, wall - t0


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def server_cpu(server_pid: int, database: str) -> tuple[float, float]:
    """CPU seconds used so far by (gunicorn's processes, the PostgreSQL backends of ``database``).

    The measure that other load on the machine disturbs least: it counts the work
    a round costs, not how long it waited for a core.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    app = pg = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        used = int(fields[11]) + int(fields[12])  # utime + stime
        if int(fields[2]) == server_pid:  # gunicorn runs in its own process group
            app += used
        elif command.startswith(b"postgres:") and f" {database} ".encode() in command:
            pg += used
    return app / ticks, pg / ticks


def client_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def verify(app, occurrence_public_id: str, capacity: int, rounds_done: int) -> dict:
    from sqlalchemy import func, select

    from backend.events.models import Occurrence, Order, Ticket
    from backend.ledger.audit import run_audit
    from backend.ledger.models import JournalEntry, LedgerAccount
    from backend.web.database import db

    def check(session):
        occurrence = session.scalar(select(Occurrence).where(Occurrence.public_id == occurrence_public_id))
        tickets = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.occurrence_id == occurrence.id, Ticket.status == "valid")
        )
        paid_orders = session.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .join(Order, Order.public_id == JournalEntry.reference)
            .where(Order.occurrence_id == occurrence.id, JournalEntry.kind == "ticket_purchase")
        )
        # Every wallet must equal its funding minus the tickets its owner holds (all rounds).
        held = dict(
            session.execute(
                select(Ticket.patron_id, func.count()).where(Ticket.status == "valid").group_by(Ticket.patron_id)
            ).all()
        )
        wrong = 0
        for patron_id, balance in session.execute(
            select(LedgerAccount.patron_id, LedgerAccount.balance).where(LedgerAccount.kind == "wallet")
        ):
            if balance != FUNDS - PRICE * held.get(patron_id, 0):
                wrong += 1
        report = run_audit(session)
        return {
            "sold": occurrence.sold,
            "tickets": tickets,
            "paid_orders": paid_orders,
            "oversold": max(0, tickets - capacity),
            "charged_without_ticket": wrong,
            "audit_clean": report.clean,
            "audit_problems": report.problems[:5],
        }

    with app.app_context():
        return db.run_in_transaction(check)


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_bench_events"
        ),
    )
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--patrons", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=300)
    parser.add_argument("--connections", type=int, nargs="+", default=[32, 64])
    # As backend/gunicorn_conf.py: one per core plus one.
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()

    print(f"preparing {args.patrons} funded patrons in {args.database_url.rsplit('/', 1)[-1]} …", flush=True)
    app, network_id, library_id, tokens = prepare(args.database_url, args.patrons)
    server = serve(args.database_url, args.port, args.workers)
    failures = 0
    try:
        # Not measured: every worker compiles its SQL and loads its modules on first use.
        warm_occurrence, warm_type = new_occurrence(app, network_id, library_id, WARMUP_SEATS)
        drive = rush_wrk if args.client == "wrk" else rush
        drive(args.port, warm_occurrence, warm_type, tokens[: 2 * WARMUP_SEATS], 8)
        for rounds, connections in enumerate(args.connections, start=1):
            occurrence, ticket_type = new_occurrence(app, network_id, library_id, args.seats)
            load = os.getloadavg()[0]
            database = args.database_url.rsplit("/", 1)[-1]
            busy0, total0, client0 = *cpu_times(), client_cpu()
            app0, pg0 = server_cpu(server.pid, database)
            results, wall = drive(args.port, occurrence, ticket_type, tokens, connections)
            app1, pg1 = server_cpu(server.pid, database)
            busy1, total1, client1 = *cpu_times(), client_cpu()
            by_status: dict[int, int] = {}
            for status, _, _ in results:
                by_status[status] = by_status.get(status, 0) + 1
            sold = [r for r in results if r[0] == 201]
            latencies = [lat for _, lat, _ in results]
            sold_out_at = max((end for _, _, end in sold), default=0.0)
            check = verify(app, occurrence, args.seats, rounds)
            ok = (
                check["tickets"] == args.seats
                and check["sold"] == args.seats
                and check["oversold"] == 0
                and check["charged_without_ticket"] == 0
                and check["audit_clean"]
                and check["paid_orders"] == args.seats
                and set(by_status) <= {201, 409}
            )
            failures += not ok
            print(
                json.dumps(
                    {
                        "client": args.client,
                        "connections": connections,
                        "workers": args.workers,
                        "load_before": round(load, 2),
                        "cpu_busy": round((busy1 - busy0) / max(1, total1 - total0), 2),
                        "client_cpu_s": round(client1 - client0, 2),
                        "server_cpu_ms_per_request": {
                            "gunicorn": round((app1 - app0) * 1000 / len(results), 2),
                            "postgres": round((pg1 - pg0) * 1000 / len(results), 2),
                        },
                        "requests": len(results),
                        "responses": by_status,
                        "wall_s": round(wall, 3),
                        "requests_per_s": round(len(results) / wall, 1),
                        "purchases": len(sold),
                        "sold_out_after_s": round(sold_out_at, 3),
                        "purchases_per_s_until_sold_out": round(len(sold) / sold_out_at, 1) if sold_out_at else None,
                        "p50_ms": round(pct(latencies, 0.50), 1),
                        "p99_ms": round(pct(latencies, 0.99), 1),
                        "purchase_p50_ms": round(pct([s[1] for s in sold], 0.50), 1) if sold else None,
                        "purchase_p99_ms": round(pct([s[1] for s in sold], 0.99), 1) if sold else None,
                        **check,
                        "ok": ok,
                    }
                ),
                flush=True,
            )
    finally:
        stop(server)
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
