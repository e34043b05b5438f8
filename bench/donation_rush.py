"""Donation rush: 2,000 funded patrons donate to one campaign at once, through gunicorn + PostgreSQL.

    .venv/bin/python bench/donation_rush.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bx_campaigns_bench

The database is wiped, migrated and given ``pgbench -i -s 1`` tables. One
library runs one live keep-it-all campaign; every patron is funded by card and
has a real sign-in session (each request pays the session-revocation check).
One gunicorn (``backend/gunicorn_conf.py``, serving ``bench.baseline_app:app``)
serves both endpoints. After an unmeasured warm-up (a small campaign, a short
baseline run), for each connection count (32 by default):

- baseline: ``POST /bench/tpcb`` for ``--seconds`` (pgbench's TPC-B-like
  transaction in SQLAlchemy Core: no auth, no ORM), through wrk;
- rush: every patron sends one ``POST /v1/campaigns/{id}/donations`` from the
  wallet (bearer token, Idempotency-Key, 1,25 €), all at once over
  the same number of connections (wrk, ``bench/ticket_rush.lua``).

It prints donations/s, p50/p99, the baseline's rate and the ratio, and checks
from the database and the API: every 201 is one succeeded donation, the raised
total the API shows equals the sum of the donations and the campaign fund's
postings, every wallet equals its funding minus its donation, the ledger audit
is clean, and the rush updated no shared row: the per-table update counters
(``pg_stat_user_tables``) of ``campaigns`` and ``receipt_counters`` do not move,
and the only updated ledger rows are the donors' own wallets.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.server import DEFAULT_WORKERS, serve, settings, stop  # noqa: E402
from bench.ticket_rush import burst_wrk, client_cpu, cpu_times, pct, server_cpu  # noqa: E402
from bench.wallet_pay import run_wrk  # noqa: E402

FUNDS = 5_000
AMOUNT = 125  # each patron gives 1,25 € (the warm-up 1,00 €)


def prepare(url: str, patrons: int):
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


def new_campaign(app, network_id: int, library_id: int, title: str) -> str:
    from backend.campaigns.models import Campaign
    from backend.db import utcnow
    from backend.web.database import db

    def make(session):
        campaign = Campaign(
            network_id=network_id,
            library_id=library_id,
            title=title,
            story="",
            goal=10_000_000,
            currency="EUR",
            deadline=utcnow() + timedelta(days=10),
            model="keep_it_all",
            state="live",
            launched_at=utcnow(),
            images=[],
            good_causes=[],
        )
        session.add(campaign)
        session.flush()
        return campaign.public_id

    with app.app_context():
        return db.run_in_transaction(make)


def table_updates(app) -> dict[str, int]:
    from sqlalchemy import text

    from backend.web.database import db

    with app.app_context():
        return dict(
            db.run_in_transaction(lambda s: s.execute(text("SELECT relname, n_tup_upd FROM pg_stat_user_tables")).all())
        )


def verify(app, client_port: int, campaign_id: str, answered: dict[int, int]) -> dict:
    import http.client

    from sqlalchemy import func, select

    from backend.campaigns.models import Campaign, Donation
    from backend.ledger.audit import run_audit
    from backend.ledger.models import LedgerAccount
    from backend.ledger.services import account_balance
    from backend.web.database import db

    conn = http.client.HTTPConnection("127.0.0.1", client_port, timeout=30)
    conn.request("GET", f"/v1/campaigns/{campaign_id}")
    shown = json.loads(conn.getresponse().read())["progress"]

    def check(session):
        campaign = session.scalar(select(Campaign).where(Campaign.public_id == campaign_id))
        donations = session.execute(
            select(func.count(), func.coalesce(func.sum(Donation.amount), 0)).where(
                Donation.campaign_id == campaign.id, Donation.state == "succeeded"
            )
        ).one()
        fund = session.scalar(select(LedgerAccount).where(LedgerAccount.key == f"campaign_fund:{campaign_id}"))
        # Every wallet: its funding minus what its owner gave (all campaigns of the run).
        given = dict(
            session.execute(select(Donation.patron_id, func.sum(Donation.amount)).group_by(Donation.patron_id)).all()
        )
        wrong = sum(
            1
            for patron_id, balance in session.execute(
                select(LedgerAccount.patron_id, LedgerAccount.balance).where(LedgerAccount.kind == "wallet")
            )
            if balance != FUNDS - int(given.get(patron_id, 0))
        )
        report = run_audit(session)
        return {
            "donations_201": answered.get(201, 0),
            "donations": donations[0],
            "sum_of_donations": int(donations[1]),
            "raised_shown": shown["raised"]["amount"],
            "donors_shown": shown["donors"],
            "fund_balance": account_balance(session, fund).amount if fund else 0,
            "wallets_wrong": wrong,
            "audit_clean": report.clean,
            "audit_problems": report.problems[:5],
        }

    with app.app_context():
        return db.run_in_transaction(check)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bx_campaigns_bench"),
    )
    parser.add_argument("--port", type=int, default=8171)
    parser.add_argument("--patrons", type=int, default=2000)
    parser.add_argument("--connections", type=int, nargs="+", default=[32])
    parser.add_argument("--seconds", type=int, default=15, help="length of each baseline run")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")

    print(f"preparing {args.patrons} funded patrons in {args.database_url.rsplit('/', 1)[-1]} …", flush=True)
    app, network_id, library_id, tokens = prepare(args.database_url, args.patrons)
    server = serve(args.database_url, args.port, args.workers, app="bench.baseline_app:app")
    database = args.database_url.rsplit("/", 1)[-1]
    failures = 0
    try:
        with tempfile.TemporaryDirectory(prefix="donation_rush_") as folder:
            empty = Path(folder) / "none.txt"
            empty.write_text("")
            # Not measured: workers import modules, compile SQL and fill their pools.
            warm = new_campaign(app, network_id, library_id, "Riscaldamento")
            body = json.dumps({"amount": {"amount": 100, "currency": "EUR"}}, separators=(",", ":"))
            burst_wrk(args.port, f"/v1/campaigns/{warm}/donations", body, tokens[-100:], 8)
            run_wrk(args.port, "baseline", empty, 8, 2)
            # Each measured round is one donation per patron not used yet.
            pool = tokens[:-100]
            per_round = len(pool) // len(args.connections)
            for n, connections in enumerate(args.connections):
                mine = pool[n * per_round : (n + 1) * per_round]
                load = os.getloadavg()[0]
                baseline = run_wrk(args.port, "baseline", empty, connections, args.seconds)
                campaign = new_campaign(app, network_id, library_id, f"Raccolta {connections}")
                before = table_updates(app)
                busy0, total0, client0 = *cpu_times(), client_cpu()
                app0, pg0 = server_cpu(server.pid, database)
                body = json.dumps({"amount": {"amount": AMOUNT, "currency": "EUR"}}, separators=(",", ":"))
                results, wall = burst_wrk(args.port, f"/v1/campaigns/{campaign}/donations", body, mine, connections)
                app1, pg1 = server_cpu(server.pid, database)
                busy1, total1, client1 = *cpu_times(), client_cpu()
                after = table_updates(app)
                statuses: dict[int, int] = {}
                for status, _, _ in results:
                    statuses[status] = statuses.get(status, 0) + 1
                latencies = [lat for _, lat, _ in results]
                check = verify(app, args.port, campaign, statuses)
                expected = AMOUNT * len(mine)
                updates = {
                    t: after.get(t, 0) - before.get(t, 0)
                    for t in ("campaigns", "receipt_counters", "ledger_accounts", "donations", "idempotency_keys")
                }
                rate = len(results) / wall
                ok = (
                    set(statuses) == {201}
                    and check["donations"] == len(mine)
                    and check["sum_of_donations"] == check["raised_shown"] == check["fund_balance"] == expected
                    and check["wallets_wrong"] == 0
                    and check["audit_clean"]
                    and updates["campaigns"] == 0
                    and updates["receipt_counters"] == 0
                    and updates["ledger_accounts"] <= len(mine)
                )
                failures += not ok
                print(
                    json.dumps(
                        {
                            "connections": connections,
                            "workers": args.workers,
                            "load_before": round(load, 2),
                            "cpu_busy": round((busy1 - busy0) / max(1, total1 - total0), 2),
                            "client_cpu_s": round(client1 - client0, 2),
                            "server_cpu_ms_per_donation": {
                                "gunicorn": round((app1 - app0) * 1000 / len(results), 2),
                                "postgres": round((pg1 - pg0) * 1000 / len(results), 2),
                            },
                            "baseline_requests_per_s": baseline["requests_per_s"],
                            "donations": len(results),
                            "responses": statuses,
                            "wall_s": round(wall, 3),
                            "donations_per_s": round(rate, 1),
                            "ratio_to_baseline": round(rate / baseline["requests_per_s"], 3),
                            "p50_ms": round(pct(latencies, 0.50), 1),
                            "p99_ms": round(pct(latencies, 0.99), 1),
                            "row_updates_during_rush": updates,
                            "expected_sum": expected,
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
