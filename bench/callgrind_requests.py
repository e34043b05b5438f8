"""Instructions per request, counted by callgrind: repeatable whatever the machine's load.

    .venv/bin/python bench/callgrind_requests.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<scratch db> \
        [--scenario purchase refusal fee wallet pass donation] [--warmup 20] [--requests 20]

For each scenario the database is wiped and seeded (like ``bench/ticket_rush.py``
and ``bench/wallet_pay.py``: real sign-in sessions, funded wallets), then one
process runs under ``valgrind --tool=callgrind --instr-atstart=no``: it builds
the app, sends ``--warmup`` requests through the Flask test client (imports,
SQL compilation, psycopg's prepared statements, the pool), then switches
callgrind's instrumentation on with a client request, sends ``--requests``
measured ones and dumps the counters. Instructions divided by requests is one
request's cost: the Python process only (server code and test client), not
PostgreSQL's own work. Scenarios: a paid one-ticket purchase, a sold-out
refusal, a one-fee payment, a wallet read, an online pass validation at a till
(``bench/pass_validation.py``'s partner, offer and passes; each code is signed
for the current minute by the process, outside the measured part), a wallet
donation to a live campaign (``bench/donation_rush.py``'s funded patrons).

(Earlier counts in docs/benchmarks.md ran two whole processes of 10 and 40
requests and divided the difference by 30; both ways count the same requests.)
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

SCENARIOS = ("purchase", "refusal", "fee", "wallet", "pass", "donation")


def prepare(url: str, scenario: str, needed: int) -> dict:
    """Seed the database; return what the child processes send."""
    if scenario == "pass":
        from cryptography.hazmat.primitives import serialization

        from bench.pass_validation import prepare as prepare_passes

        _app, phones, token, venue, offer = prepare_passes(url, needed)
        raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        return {
            "requests": [
                {
                    "path": "/v1/partners/redemptions",
                    "token": token,
                    # The code is shown (signed for the current minute) by the child, just before it is sent.
                    "phone": [pass_token, pass_id, key.private_bytes(*raw).hex()],
                    "json": {
                        "venue_id": venue,
                        "offer_id": offer,
                        "list_price": {"amount": 850, "currency": "EUR"},
                        "quantity": 1,
                    },
                    "status": 201,
                }
                for pass_token, pass_id, key in phones.phones
            ]
        }
    if scenario == "donation":
        from bench.donation_rush import new_campaign
        from bench.donation_rush import prepare as prepare_donors

        app, network_id, library_id, tokens = prepare_donors(url, needed)
        campaign = new_campaign(app, network_id, library_id, "Raccolta")
        body = {"amount": {"amount": 125, "currency": "EUR"}}
        return {
            "requests": [
                {"path": f"/v1/campaigns/{campaign}/donations", "token": t, "json": body, "status": 201} for t in tokens
            ]
        }
    if scenario == "fee":
        from bench.wallet_pay import prepare as prepare_fees

        _app, pairs = prepare_fees(url, patrons=needed, fees_each=1)
        return {
            "requests": [
                {"path": "/v1/fees/payments", "token": token, "json": {"fee_ids": [fee]}, "status": 201}
                for token, fee in pairs
            ]
        }
    from sqlalchemy import update

    from backend.events.models import Occurrence
    from backend.web.database import db
    from bench.ticket_rush import new_occurrence
    from bench.ticket_rush import prepare as prepare_rush

    app, network_id, library_id, tokens = prepare_rush(url, needed)
    if scenario == "wallet":
        return {"requests": [{"method": "GET", "path": "/v1/wallet", "token": t, "status": 200} for t in tokens]}
    occurrence, ticket_type = new_occurrence(app, network_id, library_id, needed)
    status = 201
    if scenario == "refusal":
        status = 409
        with app.app_context():
            db.run_in_transaction(
                lambda s: s.execute(
                    update(Occurrence).where(Occurrence.public_id == occurrence).values(sold=Occurrence.capacity)
                )
            )
    body = {"items": [{"ticket_type": ticket_type, "quantity": 1}]}
    return {
        "requests": [
            {"path": f"/v1/events/occurrences/{occurrence}/orders", "token": t, "json": body, "status": status}
            for t in tokens
        ]
    }


def _callgrind_request():
    """``request(code)``: a Valgrind client request (no-op when not under Valgrind), x86-64 only.

    The magic sequence of valgrind.h (four rotations of rdi summing to 128 bits,
    then ``xchg rbx, rbx``) with rax pointing at the request's six words.
    """
    import ctypes
    import mmap
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        raise SystemExit("callgrind client requests are written for x86-64")
    code = bytes.fromhex(
        "4889f8"  # mov rax, rdi  (the six words)
        "31d2"  # xor edx, edx  (the default result)
        "48c1c703"
        "48c1c70d"
        "48c1c73d"
        "48c1c733"  # rol rdi, 3 / 13 / 61 / 51
        "4887db"  # xchg rbx, rbx
        "4889d0"  # mov rax, rdx
        "c3"  # ret
    )
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    function = ctypes.CFUNCTYPE(ctypes.c_ulong, ctypes.c_void_p)(ctypes.addressof(ctypes.c_char.from_buffer(page)))

    def request(number: int) -> None:
        words = (ctypes.c_ulong * 6)(0x43540000 + number, 0, 0, 0, 0, 0)  # VG_USERREQ_TOOL_BASE('C','T')
        function(ctypes.addressof(words))

    request.page = page  # keep the code alive
    return request


DUMP_STATS, START_INSTRUMENTATION, STOP_INSTRUMENTATION = 0, 4, 5


def child(url: str, items_file: str, warmup: int, count: int) -> None:
    """Run under callgrind: build the app, warm up, measure ``count`` requests."""
    from backend import create_app
    from bench.server import settings

    requests = json.loads(Path(items_file).read_text())["requests"][: warmup + count]
    app = create_app(settings(url))
    client = app.test_client()
    callgrind = _callgrind_request()

    def send(item):
        headers = {"Authorization": f"Bearer {item['token']}"}
        if item.get("method", "POST") == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
            response = client.post(item["path"], json=item["json"], headers=headers)
        else:
            response = client.get(item["path"], headers=headers)
        if response.status_code != item["status"]:
            raise SystemExit(f"{item['path']}: {response.status_code} {response.get_data(as_text=True)[:300]}")

    def show_codes(items):  # pass validations: what each patron's phone shows now
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from backend.db import utcnow
        from backend.partners.pass_code import show_code

        for item in items:
            if "phone" in item:
                pass_token, pass_id, key = item["phone"]
                private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key))
                item["json"] = {**item["json"], "code": show_code(pass_token, pass_id, private, utcnow())}

    show_codes(requests[:warmup])
    for item in requests[:warmup]:
        send(item)
    show_codes(requests[warmup:])  # not measured: the phone's work
    callgrind(START_INSTRUMENTATION)  # counting starts at zero: nothing was instrumented before
    for item in requests[warmup:]:
        send(item)
    callgrind(DUMP_STATS)
    callgrind(STOP_INSTRUMENTATION)


def instructions(url: str, items_file: str, warmup: int, count: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={folder}/out.%p",
                sys.executable,
                __file__,
                "--database-url",
                url,
                "--child",
                items_file,
                "--warmup",
                str(warmup),
                "--requests",
                str(count),
            ],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(run.stderr[-3000:])
        # The first dump (``out.<pid>.1``) holds exactly the measured requests.
        dumps = sorted(Path(folder).glob("out.*.1"))
        found = re.search(r"^summary: (\d+)", dumps[0].read_text(), re.M) if dumps else None
    if not found:
        raise SystemExit("no callgrind dump: " + run.stderr[-2000:])
    return int(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database_url, args.child, args.warmup, args.requests)
        return
    for scenario in args.scenario:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as items:
            json.dump(prepare(args.database_url, scenario, args.warmup + args.requests), items)
        total = instructions(args.database_url, items.name, args.warmup, args.requests)
        Path(items.name).unlink()
        print(
            f"{scenario}: {total / args.requests / 1e6:.2f} M instructions per request "
            f"({total:,} for {args.requests} after {args.warmup} warm-up)",
            flush=True,
        )


if __name__ == "__main__":
    main()
