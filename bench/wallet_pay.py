"""Fee payments from many funded patrons vs. a bare TPC-B-like baseline, through gunicorn + PostgreSQL.

    .venv/bin/python bench/wallet_pay.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_bench_wallet

The database is wiped, migrated and given ``pgbench -i -s 1`` tables. Patrons
are funded and each gets outstanding fees; every patron's token names a real
sign-in session (so each request pays the session-revocation check, as in
production). One gunicorn (``backend/gunicorn_conf.py``, no control socket,
``bench.baseline_app:app``) serves both endpoints. For each connection
count (8 and 32 by default) it runs, in this order and for ``--seconds`` each:

- baseline: ``POST /bench/tpcb``: pgbench's TPC-B-like transaction (3 updates,
  1 select, 1 insert) in SQLAlchemy Core, no auth, no ORM;
- payment: ``POST /v1/fees/payments`` with a bearer token, an Idempotency-Key
  and one outstanding fee: the full stack (auth, idempotency claim, guarded
  fee claim, ledger entry with postings and funding lots, notification).

Load comes from ``wrk`` (one thread, ``bench/wallet_pay.lua``): a C client, so the
two cores are left to the server. Afterwards the database is checked: every
201 is one ``fee_payment`` entry, no wallet is negative, the ledger audit is clean.
Prints one JSON line per run and the payment/baseline ratio.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.server import DEFAULT_WORKERS, serve, settings, stop  # noqa: E402

FUNDS = 50_000
FEE = 100


def prepare(url: str, patrons: int, fees_each: int) -> tuple[object, list[tuple[str, str]]]:
    """Fresh schema + pgbench tables; funded patrons with outstanding fees; (token, fee id) pairs."""
    from sqlalchemy import create_engine, insert, text

    from backend import create_app
    from backend.accounts.claims import patron_claims
    from backend.accounts.models import AuthSession, Library, Network, Patron
    from backend.auth.tokens import issue_access_token
    from backend.db import new_public_id, utcnow
    from backend.fees.models import Fee
    from backend.fees.services import fee_types_of
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
    pg = engine.url
    subprocess.run(
        [
            "pgbench",
            "-i",
            "-s",
            "1",
            "-q",
            "-h",
            pg.host or "127.0.0.1",
            "-p",
            str(pg.port or 5432),
            "-U",
            pg.username or "postgres",
            pg.database,
        ],
        check=True,
        capture_output=True,
    )
    app = create_app(settings(url))

    def seed(session):
        network = Network(code="BENCH", name="Rete di prova")
        library = Library(network=network, code="B1", name="Biblioteca di prova", city="Rho")
        session.add_all([network, library])
        session.flush()
        other = next(t for t in fee_types_of(session, network) if t.code == "other")
        clearing = house_account(session, "card_clearing", "bench")
        people = [
            Patron(
                card_number=f"BENCH{n:06d}",
                home_network=network,
                home_library=library,
                first_name="Lettore",
                last_name=str(n),
                status="active",
                language="it",
            )
            for n in range(patrons)
        ]
        session.add_all(people)
        session.flush()
        for patron in people:
            post_entry(
                session,
                kind="topup_card",
                legs=[debit(clearing, Money(FUNDS)), credit(wallet_of(session, patron), Money(FUNDS))],
                funding=Funding("card", f"pi_bench_{patron.id}"),
            )
        devices = [AuthSession(patron=p, expires_at=utcnow() + timedelta(days=1)) for p in people]
        session.add_all(devices)
        session.flush()
        tokens = [
            issue_access_token(patron_claims(p, d.public_id), app.config["SETTINGS"]) for p, d in zip(people, devices)
        ]
        now = utcnow()
        pairs = []
        # Round-robin over patrons, so concurrent requests rarely hit the same wallet.
        for _round in range(fees_each):
            rows = [
                dict(
                    public_id=new_public_id("fee"),
                    created_at=now,
                    network_id=network.id,
                    library_id=library.id,
                    patron_id=p.id,
                    fee_type_id=other.id,
                    amount=FEE,
                    currency="EUR",
                    description="",
                    status="outstanding",
                    charged_by="bench",
                )
                for p in people
            ]
            session.execute(insert(Fee), rows)
            pairs += [(tokens[i], row["public_id"]) for i, row in enumerate(rows)]
        return pairs

    with app.app_context():
        pairs = db.run_in_transaction(seed)
    return app, pairs


_RUNS = itertools.count()


def run_wrk(port: int, mode: str, items_file: Path, connections: int, seconds: int) -> dict:
    command = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(REPO / "bench/wallet_pay.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        mode,
        str(items_file),
        "1",
        str(next(_RUNS)),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(re.search(r"WALLET_PAY_RESULT (\{.*\})", out).group(1))
    result["requests_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def verify(app, paid_ok: int) -> dict:
    from sqlalchemy import func, select

    from backend.fees.models import Fee
    from backend.ledger.audit import run_audit
    from backend.ledger.models import JournalEntry, LedgerAccount
    from backend.web.database import db

    def check(session):
        entries = session.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "fee_payment")
        )
        paid = session.scalar(select(func.count()).select_from(Fee).where(Fee.status == "paid"))
        negative = session.scalar(
            select(func.count())
            .select_from(LedgerAccount)
            .where(LedgerAccount.kind == "wallet", LedgerAccount.balance < 0)
        )
        report = run_audit(session)
        return {
            "payments_201": paid_ok,
            "fee_payment_entries": entries,
            "fees_paid": paid,
            "negative_wallets": negative,
            "audit_clean": report.clean,
            "audit_problems": report.problems[:5],
        }

    with app.app_context():
        return db.run_in_transaction(check)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_bench_wallet"
        ),
    )
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--patrons", type=int, default=500)
    parser.add_argument("--fees-each", type=int, default=40)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")

    print(f"preparing {args.patrons} funded patrons × {args.fees_each} fees …", flush=True)
    app, pairs = prepare(args.database_url, args.patrons, args.fees_each)
    server = serve(args.database_url, args.port, args.workers, app="bench.baseline_app:app")
    paid_ok, ok = 0, True
    try:
        with tempfile.TemporaryDirectory(prefix="wallet_pay_") as folder:
            empty = Path(folder) / "none.txt"
            empty.write_text("")
            # Warm both paths (imports, connection pools) outside the measurements.
            warm = Path(folder) / "warm.txt"
            warm.write_text("".join(f"{t}\t{f}\n" for t, f in pairs[:200]))
            run_wrk(args.port, "baseline", empty, 4, 2)
            paid_ok += run_wrk(args.port, "pay", warm, 4, 2)["statuses"].get("201", 0)
            offset = 200
            for connections in args.connections:
                load = os.getloadavg()[0]
                baseline = run_wrk(args.port, "baseline", empty, connections, args.seconds)
                items = Path(folder) / f"pay-{connections}.txt"
                # The fees left, shared evenly among the runs still to come; each used once.
                share = (len(pairs) - offset) // (len(args.connections) - args.connections.index(connections))
                chunk = pairs[offset : offset + share]
                offset += len(chunk)
                items.write_text("".join(f"{t}\t{f}\n" for t, f in chunk))
                payment = run_wrk(args.port, "pay", items, connections, args.seconds)
                paid_ok += payment["statuses"].get("201", 0)
                good = set(payment["statuses"]) <= {"201"} and set(baseline["statuses"]) <= {"200"}
                ok &= good
                print(
                    json.dumps(
                        {
                            "connections": connections,
                            "workers": args.workers,
                            "load_before": round(load, 2),
                            "baseline": baseline,
                            "payment": payment,
                            "ratio": round(payment["requests_per_s"] / baseline["requests_per_s"], 3),
                            "only_success_statuses": good,
                        }
                    ),
                    flush=True,
                )
    finally:
        stop(server)
    check = verify(app, paid_ok)
    # wrk stops counting at the deadline: up to one request per connection was still in
    # flight and completed unseen, so the database may hold that many more payments.
    in_flight = 4 + sum(args.connections)
    ok &= (
        check["fee_payment_entries"] == check["fees_paid"]
        and paid_ok <= check["fees_paid"] <= paid_ok + in_flight
        and check["negative_wallets"] == 0
        and check["audit_clean"]
    )
    print(json.dumps({**check, "ok": ok}), flush=True)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
