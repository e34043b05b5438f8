"""Online validations of distinct patrons' passes vs. the bare TPC-B-like baseline, through gunicorn + PostgreSQL.

    .venv/bin/python bench/pass_validation.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_bench_passes

The database is wiped, migrated and given ``pgbench -i -s 1`` tables. A partner
with a cinema, an agreement and an offer (20 % off, at most 2 uses a day per
patron, borne by the partner) are created, and ``--patrons`` patrons each get a
pass for their own phone key (``issue_pass``, as ``POST /v1/partners/pass``).
The till's token names a real sign-in session (the session-revocation check is
paid, as in production). One gunicorn (``backend/gunicorn_conf.py``, no control
socket, ``bench.baseline_app:app``) serves both endpoints. For each
connection count (8 and 32 by default), for ``--seconds`` each:

- baseline: ``POST /bench/tpcb``: pgbench's TPC-B-like transaction in SQLAlchemy Core;
- validation: ``POST /v1/partners/redemptions`` with a bearer token, an
  Idempotency-Key and the code a patron's phone shows (signed for the current
  minute right before the run, each patron once): the full stack (auth,
  idempotency claim, both Ed25519 signatures, pass, offer and venue lookups,
  eligibility, patron row lock, limit count, redemption insert).

Load comes from ``wrk`` (one thread, ``bench/pass_validation.lua``). Afterwards the
database is checked: every 201 is one redemption, and the ledger audit is clean.
Prints one JSON line per run and the validation/baseline ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.server import DEFAULT_WORKERS, serve, settings, stop  # noqa: E402


class Patrons:
    """The patrons' phones: pass token, pass id and device key each."""

    def __init__(self) -> None:
        self.phones: list[tuple[str, str, object]] = []

    def codes(self, start: int, count: int) -> list[str]:
        from backend.db import utcnow
        from backend.partners.pass_code import show_code

        now = utcnow()
        return [show_code(token, pass_id, key, now) for token, pass_id, key in self.phones[start : start + count]]


def prepare(url: str, patrons: int):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import create_engine, text

    from backend import create_app
    from backend.accounts.claims import staff_claims
    from backend.accounts.models import AuthSession, Library, Network, Partner, PartnerVenue, Patron, StaffUser
    from backend.auth.tokens import issue_access_token
    from backend.db import utcnow
    from backend.i18n import ROME
    from backend.migrations_support import upgrade
    from backend.partners.models import Agreement, Offer
    from backend.partners.passes import issue_pass
    from backend.partners.passkeys import b64url
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
    app_settings = settings(url)
    app = create_app(app_settings)
    phones = Patrons()

    def seed(session):
        network = Network(code="BENCH", name="Rete di prova")
        library = Library(network=network, code="B1", name="Biblioteca di prova", city="Rho")
        partner = Partner(
            network=network, name="Cinema di prova", tax_code="00743110157", iban="IT60X0542811101000000123456"
        )
        venue = PartnerVenue(network=network, partner=partner, name="Sala 1", kind="cinema", city="Rho")
        today = utcnow().astimezone(ROME).date()
        agreement = Agreement(
            partner=partner,
            network=network,
            title="Convenzione",
            valid_from=today - timedelta(1),
            valid_to=today + timedelta(30),
            eligible_networks=[network],
        )
        offer = Offer(
            agreement=agreement,
            venues=[venue],
            title_it="Ridotto",
            title_en="Reduced",
            category="cinema",
            benefit_kind="percent_off",
            benefit_value=20,
            valid_from=today - timedelta(1),
            valid_to=today + timedelta(30),
            weekdays=[],
            network_ids=[],
            library_ids=[],
            age_bands=[],
            per_patron_day=2,
        )
        till = StaffUser(
            email="till@bench.example",
            name="Cassa",
            role="partner",
            network=network,
            partner=partner,
            partner_venue=venue,
            password_hash="-",
        )
        session.add_all([network, library, partner, venue, agreement, offer, till])
        session.flush()
        device = AuthSession(staff_user=till, channel="app", expires_at=utcnow() + timedelta(days=1))
        session.add(device)
        people = [
            Patron(
                card_number=f"BENCH{n:06d}",
                home_network=network,
                home_library=library,
                first_name="Lettore",
                last_name=f"N{n}",
                status="active",
                language="it",
            )
            for n in range(patrons)
        ]
        session.add_all(people)
        session.flush()
        for patron in people:
            key = Ed25519PrivateKey.generate()
            raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            issued = issue_pass(session, app_settings, patron, b64url(raw))
            phones.phones.append((issued.token, issued.pass_.public_id, key))
        return issue_access_token(staff_claims(till, device.public_id), app_settings), venue.public_id, offer.public_id

    with app.app_context():
        token, venue_id, offer_id = db.run_in_transaction(seed)
    return app, phones, token, venue_id, offer_id


def run_wrk(
    port: int, mode: str, items_file: Path, connections: int, seconds: int, token: str, venue: str, offer: str
) -> dict:
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
        str(REPO / "bench/pass_validation.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        mode,
        str(items_file),
        token,
        venue,
        offer,
        f"{mode}-{connections}-{time.time_ns()}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(re.search(r"PASS_VALIDATION_RESULT (\{.*\})", out).group(1))
    result["requests_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def verify(app, accepted: int) -> dict:
    from sqlalchemy import func, select

    from backend.ledger.audit import run_audit
    from backend.partners.models import Redemption
    from backend.web.database import db

    def check(session):
        redemptions = session.scalar(select(func.count()).select_from(Redemption))
        patrons_twice = session.scalar(
            select(func.count()).select_from(
                select(Redemption.patron_id).group_by(Redemption.patron_id).having(func.count() > 2).subquery()
            )
        )
        report = run_audit(session)
        return {
            "validations_201": accepted,
            "redemptions": redemptions,
            "patrons_over_limit": patrons_twice,
            "audit_clean": report.clean,
        }

    with app.app_context():
        return db.run_in_transaction(check)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_bench_passes"
        ),
    )
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--patrons", type=int, default=6000)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")

    print(f"preparing {args.patrons} patrons with passes …", flush=True)
    app, phones, token, venue, offer = prepare(args.database_url, args.patrons)
    server = serve(args.database_url, args.port, args.workers, app="bench.baseline_app:app")
    accepted, ok = 0, True
    try:
        with tempfile.TemporaryDirectory(prefix="pass_validation_") as folder:
            empty = Path(folder) / "none.txt"
            empty.write_text("")
            warm = Path(folder) / "warm.txt"
            warm.write_text("\n".join(phones.codes(0, 200)) + "\n")
            run_wrk(args.port, "baseline", empty, 4, 2, token, venue, offer)
            accepted += run_wrk(args.port, "validate", warm, 4, 2, token, venue, offer)["statuses"].get("201", 0)
            offset = 200
            for connections in args.connections:
                load = os.getloadavg()[0]
                baseline = run_wrk(args.port, "baseline", empty, connections, args.seconds, token, venue, offer)
                share = (len(phones.phones) - offset) // (len(args.connections) - args.connections.index(connections))
                items = Path(folder) / f"codes-{connections}.txt"
                # Signed now: each code is good for the current and the next minute, longer than a run.
                items.write_text("\n".join(phones.codes(offset, share)) + "\n")
                offset += share
                validation = run_wrk(args.port, "validate", items, connections, args.seconds, token, venue, offer)
                accepted += validation["statuses"].get("201", 0)
                good = set(validation["statuses"]) <= {"201"} and set(baseline["statuses"]) <= {"200"}
                ok &= good
                print(
                    json.dumps(
                        {
                            "connections": connections,
                            "workers": args.workers,
                            "load_before": round(load, 2),
                            "baseline": baseline,
                            "validation": validation,
                            "ratio": round(validation["requests_per_s"] / baseline["requests_per_s"], 3),
                            "only_success_statuses": good,
                        }
                    ),
                    flush=True,
                )
    finally:
        stop(server)
    check = verify(app, accepted)
    in_flight = 4 + sum(args.connections)
    ok &= (
        accepted <= check["redemptions"] <= accepted + in_flight
        and check["patrons_over_limit"] == 0
        and check["audit_clean"]
    )
    print(json.dumps({**check, "ok": ok}), flush=True)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
