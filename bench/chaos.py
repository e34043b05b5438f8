"""Chaos run: many clients move money while workers die, webhooks repeat and the scheduler restarts.

    .venv/bin/python bench/chaos.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/borsellino_chaos [--seconds 300]

The database is wiped and migrated, then seeded: one network and library, one
patron per client (funded by card, with outstanding fees), an event date with
room for every ticket the run can sell, a desk with an open cash session and
its librarian. gunicorn (``backend/gunicorn_conf.py``, ``--workers`` processes,
sandbox payments) serves the API and ``borsellino scheduler`` runs beside it.

For ``--seconds``, each client (a thread with its own patron) loops over:
paying one of its fees, buying a ticket, donating from the wallet to a +Teca
campaign (keep-it-all), a card top-up paid through the
sandbox's PaymentSheet endpoint, a card top-up paid by webhooks alone (it
sends, shuffled, a stale ``payment_failed``, a stale ``canceled``, the
``succeeded`` event, that same event again and a resend under another event
id), and a cash top-up at the desk by its librarian. Every request is retried
with the **same Idempotency-Key** after a timeout, a dropped connection, a 409
or a 5xx, until it gets a final answer. Meanwhile one thread SIGKILLs a random
gunicorn worker every ``--kill-every`` seconds (gunicorn starts a new one) and
another restarts the scheduler (SIGKILL, then a new process) every
``--scheduler-every`` seconds.

When the clients are done (each finishes the operation it is in, retrying up to
``--drain`` seconds), the database is checked:

- every success a client saw is in the ledger exactly once (fee payments,
  ticket orders, donations, card and cash top-ups, by their references) and the ledger
  holds no entry of those kinds that no client saw succeed: nothing charged
  twice, nothing charged for a request the client saw refused;
- every wallet equals its funding plus what its client believes it topped up,
  minus what it believes it paid; no wallet is negative;
- every idempotency key is in a final state (none left in flight);
- ``run_audit`` (as ``borsellino ledger audit``) is clean.

Prints one JSON report (operations, retries by cause, kills, restarts,
webhooks, checks) and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.server import JWT_KEYS, SECRET, serve, settings, stop  # noqa: E402

FUNDS = 20_000  # each patron starts with 200,00 € of card money
FEE = 150
FEES_EACH = 150
PRICE = 250
WORKER_TIMEOUT = 10  # gunicorn kills a request stuck this long


class Unresolved(Exception):
    """No final answer before the drain deadline."""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ops: Counter = field(default_factory=Counter)  # "<op> ok" / "<op> refused <status>"
    retries: Counter = field(default_factory=Counter)
    webhooks: Counter = field(default_factory=Counter)
    server_errors: list = field(default_factory=list)
    unresolved: list = field(default_factory=list)
    kills: int = 0
    scheduler_restarts: int = 0

    def add(self, counter: str, key: str, n: int = 1) -> None:
        with self.lock:
            getattr(self, counter)[key] += n


@dataclass
class Belief:
    """What one client believes it did, from the answers it got."""

    card_number: str
    delta: int = 0
    fee_payments: set = field(default_factory=set)
    orders: set = field(default_factory=set)
    card_topups: set = field(default_factory=set)
    cash_topups: set = field(default_factory=set)
    donations: set = field(default_factory=set)


# --- setup -------------------------------------------------------------------------------------


def prepare(url: str, clients: int):
    from sqlalchemy import create_engine, insert, text

    from backend import create_app
    from backend.accounts.claims import patron_claims, staff_claims
    from backend.accounts.models import AuthSession, Library, Network, Patron, StaffUser
    from backend.auth.tokens import issue_access_token
    from backend.campaigns import services as campaigns
    from backend.campaigns.models import Campaign, CampaignState, FundingModel
    from backend.db import new_public_id, utcnow
    from backend.desk.models import CashSession, CashSessionState, Desk
    from backend.events.models import Event, Occurrence, TicketType
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
    app = create_app(settings(url))

    def seed(session):
        network = Network(code="CHAOS", name="Rete del caos")
        library = Library(network=network, code="C1", name="Biblioteca del caos", city="Rho")
        session.add_all([network, library])
        session.flush()
        clearing = house_account(session, "card_clearing", "seed")
        people = [
            Patron(
                card_number=f"CHAOS{n:06d}",
                home_network=network,
                home_library=library,
                first_name="Lettore",
                last_name=str(n),
                status="active",
                language="it",
            )
            for n in range(clients)
        ]
        librarian = StaffUser(
            email="cassa@chaos.test",
            name="Cassiere",
            role="librarian",
            network=network,
            password_hash="!",
            libraries=[library],
        )
        session.add_all([*people, librarian])
        session.flush()
        for patron in people:
            post_entry(
                session,
                kind="topup_card",
                legs=[debit(clearing, Money(FUNDS)), credit(wallet_of(session, patron), Money(FUNDS))],
                funding=Funding("card", f"pi_seed_{patron.id}"),
            )
        devices = [AuthSession(patron=p, expires_at=utcnow() + timedelta(days=1)) for p in people]
        desk_device = AuthSession(staff_user=librarian, expires_at=utcnow() + timedelta(days=1))
        session.add_all([*devices, desk_device])
        desk = Desk(library=library, name="Cassa 1")
        session.add(desk)
        session.flush()
        cash_session = CashSession(
            desk_id=desk.id, status=CashSessionState.OPEN, opened_by_id=librarian.id, opening_float=0, currency="EUR"
        )
        event = Event(
            network_id=network.id,
            library_id=library.id,
            title="Concerto del caos",
            category="music",
            venue_name="Auditorium",
            status="published",
            per_patron_limit=100_000,
        )
        event.ticket_types.append(TicketType(name="Intero", kind="full", price=PRICE))
        event.occurrences.append(
            Occurrence(starts_at=utcnow() + timedelta(days=10), capacity=1_000_000, sold=0, status="scheduled")
        )
        campaign = Campaign(
            network_id=network.id,
            library_id=library.id,
            title="Scaffali nuovi",
            story="Per la sala",
            images=[],
            good_causes=[],
            goal=100_000_000,
            currency="EUR",
            deadline=utcnow() + timedelta(days=30),
            model=FundingModel.KEEP_IT_ALL,
            art_bonus=False,
            state=CampaignState.DRAFT,
        )
        campaign.network, campaign.library = network, library
        session.add_all([cash_session, event, campaign])
        session.flush()
        campaigns.launch(session, campaign)
        other = next(t for t in fee_types_of(session, network) if t.code == "other")
        fees: dict[int, list[str]] = {}
        rows = []
        for i, patron in enumerate(people):
            fees[i] = [new_public_id("fee") for _ in range(FEES_EACH)]
            rows += [
                dict(
                    public_id=fid,
                    created_at=utcnow(),
                    network_id=network.id,
                    library_id=library.id,
                    patron_id=patron.id,
                    fee_type_id=other.id,
                    amount=FEE,
                    currency="EUR",
                    description="",
                    status="outstanding",
                    charged_by="chaos",
                )
                for fid in fees[i]
            ]
        session.execute(insert(Fee), rows)
        return {
            "patrons": [
                (p.card_number, issue_access_token(patron_claims(p, d.public_id), app.config["SETTINGS"]))
                for p, d in zip(people, devices)
            ],
            "fees": fees,
            "librarian": issue_access_token(staff_claims(librarian, desk_device.public_id), app.config["SETTINGS"]),
            "cash_session": cash_session.public_id,
            "occurrence": event.occurrences[0].public_id,
            "ticket_type": event.ticket_types[0].public_id,
            "campaign": campaign.public_id,
        }

    with app.app_context():
        world = db.run_in_transaction(seed)
    return app, world


# --- one request, retried until final ------------------------------------------------------------


class Client:
    def __init__(self, base: str, tally: Tally, drain_deadline: list[float]) -> None:
        self.base, self.tally, self.drain_deadline = base, tally, drain_deadline
        self.http = requests.Session()

    def call(
        self,
        op: str,
        method: str,
        path: str,
        token: str | None,
        body=None,
        *,
        key: str | None = None,
        headers: dict | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        """The same request (same key) until an answer other than 409/5xx or a dropped connection."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if key:
            sent["Idempotency-Key"] = key
        payload = data if data is not None else (json.dumps(body).encode() if body is not None else None)
        pause = 0.1
        while True:
            if time.monotonic() > self.drain_deadline[0]:
                self.tally.unresolved.append(f"{op} {method} {path} key={key}")
                raise Unresolved(op)
            try:
                response = self.http.request(method, self.base + path, data=payload, headers=sent, timeout=(3, 15))
            except requests.Timeout:
                self.tally.add("retries", f"{op}: timeout")
            except requests.ConnectionError:
                self.tally.add("retries", f"{op}: connection dropped")
                self.http.close()
            else:
                if _in_progress(response) or response.status_code >= 500:
                    self.tally.add("retries", f"{op}: {response.status_code}")
                    if response.status_code >= 500:
                        self.tally.server_errors.append(f"{op} {response.status_code} {response.text[:300]}")
                else:
                    if response.headers.get("Idempotent-Replayed") == "true":
                        self.tally.add("retries", f"{op}: answered by replay")
                    return response
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 1.0)


def _in_progress(response: requests.Response) -> bool:
    """409 for "same key still running" (retry); other 409s (e.g. a conflict of state) are final."""
    if response.status_code != 409:
        return False
    try:
        return response.json()["error"]["code"] == "idempotency_request_in_progress"
    except (ValueError, KeyError, TypeError):
        return True


# --- what a client does ----------------------------------------------------------------------------


def pay_fee(c: Client, world, me: Belief, token: str, fees: list[str]) -> None:
    if not fees:
        return
    fee = fees[-1]
    r = c.call("fee", "POST", "/v1/fees/payments", token, {"fee_ids": [fee]}, key=str(uuid.uuid4()))
    if r.status_code == 201:
        fees.pop()
        me.fee_payments.add(r.json()["id"])
        me.delta -= r.json()["amount"]["amount"]
        c.tally.add("ops", "fee payment ok")
    else:
        c.tally.add("ops", f"fee payment refused {r.status_code} {r.json()['error']['code']}")


def buy_ticket(c: Client, world, me: Belief, token: str) -> None:
    body = {"items": [{"ticket_type": world["ticket_type"], "quantity": 1}]}
    r = c.call(
        "ticket", "POST", f"/v1/events/occurrences/{world['occurrence']}/orders", token, body, key=str(uuid.uuid4())
    )
    if r.status_code == 201:
        me.orders.add(r.json()["order"]["id"])
        me.delta -= r.json()["order"]["total"]["amount"]
        c.tally.add("ops", "ticket purchase ok")
    else:
        c.tally.add("ops", f"ticket purchase refused {r.status_code} {r.json()['error']['code']}")


def _start_topup(c: Client, token: str, amount: int):
    r = c.call(
        "card top-up",
        "POST",
        "/v1/wallet/topups",
        token,
        {"amount": {"amount": amount, "currency": "EUR"}},
        key=str(uuid.uuid4()),
    )
    if r.status_code != 201:
        c.tally.add("ops", f"card top-up refused {r.status_code} {r.json()['error']['code']}")
        return None
    return r.json()


def topup_by_sheet(c: Client, world, me: Belief, token: str) -> None:
    amount = random.choice((500, 1000, 2000))
    started = _start_topup(c, token, amount)
    if started is None:
        return
    topup = started["topup"]["id"]
    r = c.call("card top-up", "POST", f"/v1/wallet/topups/{topup}/sandbox-payment", token, {}, key=str(uuid.uuid4()))
    if r.status_code == 200 and r.json()["status"] == "succeeded":
        me.card_topups.add(topup)
        me.delta += amount
        c.tally.add("ops", "card top-up (sandbox sheet) ok")
    else:
        c.tally.add("ops", f"card top-up (sandbox sheet) not paid {r.status_code} {r.text[:120]}")


def _event(kind: str, event_id: str, intent: str, amount: int, topup: str, created: int) -> bytes:
    paid = kind == "payment_intent.succeeded"
    status = {"payment_intent.succeeded": "succeeded", "payment_intent.canceled": "canceled"}.get(
        kind, "requires_payment_method"
    )
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": created,
            "data": {
                "object": {
                    "id": intent,
                    "object": "payment_intent",
                    "status": status,
                    "amount": amount,
                    "amount_received": amount if paid else 0,
                    "currency": "eur",
                    "metadata": {"topup_id": topup},
                    "last_payment_error": None if paid else {"code": "card_declined"},
                }
            },
        }
    ).encode()


def topup_by_webhooks(c: Client, world, me: Belief, token: str) -> None:
    """Stripe's side, badly behaved: stale events first or last, the success twice and resent under a new id."""
    from payments.sandbox import SANDBOX_WEBHOOK_SECRET
    from payments.signing import sign

    amount = random.choice((500, 1500))
    started = _start_topup(c, token, amount)
    if started is None:
        return
    topup = started["topup"]["id"]
    intent = started["payment_sheet"]["payment_intent_client_secret"].split("_secret_")[0]
    now = int(time.time())
    succeeded = _event("payment_intent.succeeded", f"evt_chaos_{uuid.uuid4().hex}", intent, amount, topup, now)
    events = [
        (
            "stale failed",
            _event("payment_intent.payment_failed", f"evt_chaos_{uuid.uuid4().hex}", intent, amount, topup, now - 120),
        ),
        (
            "stale canceled",
            _event("payment_intent.canceled", f"evt_chaos_{uuid.uuid4().hex}", intent, amount, topup, now - 60),
        ),
        ("succeeded", succeeded),
        ("duplicate", succeeded),
        (
            "resent under a new id",
            _event("payment_intent.succeeded", f"evt_chaos_{uuid.uuid4().hex}", intent, amount, topup, now),
        ),
    ]
    random.shuffle(events)
    for label, payload in events:
        r = c.call(
            "webhook",
            "POST",
            "/v1/payments/webhook",
            None,
            data=payload,
            headers={"Stripe-Signature": sign(payload.decode(), SANDBOX_WEBHOOK_SECRET)},
        )
        c.tally.add(
            "webhooks",
            f"{label}: {r.status_code} {r.json().get('outcome', r.text[:60])}"
            if r.headers.get("Content-Type", "").startswith("application/json")
            else f"{label}: {r.status_code}",
        )
    r = c.call("card top-up", "GET", f"/v1/wallet/topups/{topup}", token)
    if r.status_code == 200 and r.json()["status"] == "succeeded":
        me.card_topups.add(topup)
        me.delta += amount
        c.tally.add("ops", "card top-up (webhooks only) ok")
    else:
        c.tally.add("ops", f"card top-up (webhooks only) not paid {r.status_code} {r.text[:120]}")


def topup_at_desk(c: Client, world, me: Belief, token: str) -> None:
    amount = random.choice((500, 1000))
    r = c.call(
        "desk top-up",
        "POST",
        f"/v1/desk/sessions/{world['cash_session']}/topups",
        world["librarian"],
        {"card_number": me.card_number, "amount": {"amount": amount, "currency": "EUR"}},
        key=str(uuid.uuid4()),
    )
    if r.status_code == 201:
        me.cash_topups.add(r.json()["id"])
        me.delta += amount
        c.tally.add("ops", "cash top-up at the desk ok")
    else:
        c.tally.add("ops", f"cash top-up at the desk refused {r.status_code} {r.json()['error']['code']}")


def donate(c: Client, world, me: Belief, token: str) -> None:
    amount = random.choice((100, 300))
    r = c.call(
        "donation",
        "POST",
        f"/v1/campaigns/{world['campaign']}/donations",
        token,
        {"amount": {"amount": amount, "currency": "EUR"}},
        key=str(uuid.uuid4()),
    )
    if r.status_code == 201 and r.json()["donation"]["state"] == "succeeded":
        me.donations.add(r.json()["donation"]["id"])
        me.delta -= amount
        c.tally.add("ops", "donation ok")
    else:
        c.tally.add("ops", f"donation refused {r.status_code} {r.text[:120]}")


def client_loop(
    base: str, world, index: int, tally: Tally, stop_at: float, drain_deadline: list[float], beliefs: list[Belief]
) -> None:
    card, token = world["patrons"][index]
    me = beliefs[index]
    fees = list(world["fees"][index])
    c = Client(base, tally, drain_deadline)
    moves = [
        (pay_fee, 25),
        (buy_ticket, 25),
        (donate, 12),
        (topup_by_sheet, 12),
        (topup_by_webhooks, 12),
        (topup_at_desk, 14),
    ]
    while time.monotonic() < stop_at:
        move = random.choices([m for m, _ in moves], weights=[w for _, w in moves])[0]
        try:
            if move is pay_fee:
                pay_fee(c, world, me, token, fees)
            else:
                move(c, world, me, token)
        except Unresolved:
            return


# --- the chaos -----------------------------------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry))
    return pids


def killer(master: int, every: float, tally: Tally, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        time.sleep(every * (0.5 + random.random()))
        pids = worker_pids(master)
        if pids:
            try:
                os.kill(random.choice(pids), signal.SIGKILL)
                tally.kills += 1
            except ProcessLookupError:
                pass


def start_scheduler(url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BORSELLINO_SECRET_KEY": SECRET,
        "BORSELLINO_JWT_KEYS": JWT_KEYS,
        "BORSELLINO_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [str(REPO / ".venv/bin/borsellino"), "scheduler"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def scheduler_restarts(url: str, every: float, tally: Tally, stop_at: float, holder: list) -> None:
    while time.monotonic() < stop_at:
        time.sleep(every)
        old = holder[0]
        os.killpg(old.pid, signal.SIGKILL)
        old.wait()
        holder[0] = start_scheduler(url)
        tally.scheduler_restarts += 1


# --- the end checks --------------------------------------------------------------------------------


def check(app, world, beliefs: list[Belief]) -> dict:
    from sqlalchemy import func, select

    from backend.accounts.models import Patron
    from backend.desk.models import DeskOperation
    from backend.idempotency import DONE, IdempotencyKey
    from backend.ledger.audit import run_audit
    from backend.ledger.models import JournalEntry, LedgerAccount
    from backend.ledger.services import wallet_of
    from backend.topups.models import Topup
    from backend.web.database import db

    def entries_by_reference(session, kind: str) -> Counter:
        return Counter(
            dict(
                session.execute(
                    select(JournalEntry.reference, func.count())
                    .where(JournalEntry.kind == kind)
                    .group_by(JournalEntry.reference)
                ).all()
            )
        )

    def once_each(seen: set, booked: Counter, what: str, problems: list) -> None:
        twice = {ref: n for ref, n in booked.items() if n != 1}
        if twice:
            problems.append(f"{what}: booked more than once: {dict(list(twice.items())[:5])}")
        missing, unseen = seen - set(booked), set(booked) - seen
        if missing:
            problems.append(f"{what}: {len(missing)} successes not in the ledger, e.g. {sorted(missing)[:3]}")
        if unseen:
            problems.append(f"{what}: {len(unseen)} ledger entries no client saw succeed, e.g. {sorted(unseen)[:3]}")

    def run(session):
        problems: list[str] = []
        seen = {
            name: set().union(*(getattr(b, name) for b in beliefs))
            for name in ("fee_payments", "orders", "card_topups", "cash_topups", "donations")
        }
        # Each money-moving operation names itself (its public id) in its entry's reference.
        once_each(seen["fee_payments"], entries_by_reference(session, "fee_payment"), "fee payments", problems)
        once_each(seen["orders"], entries_by_reference(session, "ticket_purchase"), "ticket orders", problems)
        once_each(seen["donations"], entries_by_reference(session, "donation"), "donations", problems)
        card = entries_by_reference(session, "topup_card")
        if card.pop(None, 0) != len(beliefs):  # the seed's funding entries have no reference
            problems.append("card top-ups: entries without a reference beyond the seed's")
        once_each(seen["card_topups"], card, "card top-ups", problems)
        succeeded = set(session.scalars(select(Topup.public_id).where(Topup.status == "succeeded")))
        if succeeded != seen["card_topups"]:
            problems.append(
                f"card top-ups: {len(succeeded ^ seen['card_topups'])} differ between the clients "
                "and the top-ups marked succeeded"
            )
        ops = set(session.scalars(select(DeskOperation.public_id).where(DeskOperation.kind == "cash_topup")))
        cash_entries = session.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "topup_cash")
        )
        if ops != seen["cash_topups"] or cash_entries != len(ops):
            problems.append(
                f"cash top-ups: clients saw {len(seen['cash_topups'])}, desk recorded {len(ops)}, "
                f"ledger has {cash_entries}"
            )
        wrong = []
        for belief in beliefs:
            patron = session.scalar(select(Patron).where(Patron.card_number == belief.card_number))
            balance = wallet_of(session, patron).balance
            if balance != FUNDS + belief.delta:
                wrong.append(f"{belief.card_number}: wallet {balance}, client believes {FUNDS + belief.delta}")
        if wrong:
            problems.append(f"{len(wrong)} wallets differ from what their clients believe: {wrong[:3]}")
        negative = session.scalar(
            select(func.count())
            .select_from(LedgerAccount)
            .where(LedgerAccount.kind == "wallet", LedgerAccount.balance < 0)
        )
        if negative:
            problems.append(f"{negative} wallets below zero")
        not_final = session.scalar(select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.state != DONE))
        if not_final:
            problems.append(f"{not_final} idempotency keys not in a final state")
        audit = run_audit(session)
        if not audit.clean:
            problems.append(f"ledger audit: {audit}")
        return {
            "successes": {name: len(ids) for name, ids in seen.items()},
            "idempotency_keys": session.scalar(select(func.count()).select_from(IdempotencyKey)),
            "wallets_checked": len(beliefs),
            "audit_clean": audit.clean,
            "problems": problems,
        }

    with app.app_context():
        return db.run_in_transaction(run)


# --- main --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--kill-every", type=float, default=4.0, help="mean seconds between worker kills")
    parser.add_argument("--scheduler-every", type=float, default=15.0)
    parser.add_argument(
        "--drain",
        type=float,
        default=60.0,
        help="seconds the clients may go on retrying after the run",
    )
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    random.seed(args.seed)
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("the chaos run needs PostgreSQL")

    if args.port == 0:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    began = time.monotonic()
    app, world = prepare(args.database_url, args.clients)
    server = serve(
        args.database_url,
        args.port,
        args.workers,
        BORSELLINO_WORKER_TIMEOUT=str(WORKER_TIMEOUT),
        BORSELLINO_PAYMENT_PROVIDER="sandbox",
    )
    scheduler = [start_scheduler(args.database_url)]
    tally = Tally()
    beliefs = [Belief(card) for card, _ in world["patrons"]]
    try:
        start = time.monotonic()
        stop_at = start + args.seconds
        drain_deadline = [stop_at + args.drain]
        threads = [
            threading.Thread(
                target=client_loop,
                daemon=True,
                args=(f"http://127.0.0.1:{args.port}", world, i, tally, stop_at, drain_deadline, beliefs),
            )
            for i in range(args.clients)
        ]
        chaos = [
            threading.Thread(target=killer, args=(server.pid, args.kill_every, tally, stop_at), daemon=True),
            threading.Thread(
                target=scheduler_restarts,
                daemon=True,
                args=(args.database_url, args.scheduler_every, tally, stop_at, scheduler),
            ),
        ]
        for t in threads + chaos:
            t.start()
        for t in threads + chaos:
            t.join()
        ran = time.monotonic() - start
    finally:
        os.killpg(scheduler[0].pid, signal.SIGTERM)
        scheduler[0].wait(timeout=30)
        stop(server)
    result = check(app, world, beliefs)
    if tally.unresolved:
        result["problems"].append(f"{len(tally.unresolved)} requests without a final answer: {tally.unresolved[:3]}")
    if tally.server_errors:
        result["problems"].append(f"{len(tally.server_errors)} server errors (5xx): {tally.server_errors[:3]}")
    report = {
        "seconds": round(ran, 1),
        "total_seconds": round(time.monotonic() - began, 1),
        "workers": args.workers,
        "clients": args.clients,
        "operations": dict(sorted(tally.ops.items())),
        "operations_total": sum(tally.ops.values()),
        "retries": dict(sorted(tally.retries.items())),
        "retries_total": sum(tally.retries.values()),
        "worker_kills": tally.kills,
        "scheduler_restarts": tally.scheduler_restarts,
        "webhooks": dict(sorted(tally.webhooks.items())),
        **result,
        "result": "clean" if not result["problems"] else "FAILED",
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0 if not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
