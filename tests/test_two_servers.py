"""Two app servers, one PostgreSQL, one Redis: what must hold across servers does.

Stateless gunicorn instances behind a load balancer (``docs/scaling.md``) are
only correct if nothing a request relies on lives in one process: rate limits
count in Redis, idempotency keys and sign-in sessions live in PostgreSQL.
Two real servers (``borsellino serve``, one worker each) are started on
127.0.0.1 against the test database and Redis (``TEST_REDIS_URL``, default
database 5), and the requests of one user alternate between them.
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from backend.fees.models import FeePayment
from tests.fees.helpers import make_world, wallet_balance
from tests.support.ledger import fund_wallet
from tests.support.servers import app_server, redis_or_skip

PORTS = (8150, 8151)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def servers(database_url):
    redis_or_skip(REDIS_URL, flush=True)
    with app_server(database_url, PORTS[0], REDIS_URL) as a, app_server(database_url, PORTS[1], REDIS_URL) as b:
        yield a, b


def sign_in(base: str, card: str, pin: str = "1234"):
    return requests.post(
        f"{base}/v1/auth/patron/card", json={"card_number": card, "pin": pin, "device_name": "phone"}, timeout=30
    )


def test_the_sign_in_rate_limit_counts_the_attempts_made_on_every_server(db, servers):
    world = make_world(db)
    card = world.alice.card_number
    answers = [sign_in(servers[n % 2], card).status_code for n in range(10)]
    assert answers == [201] * 10  # ten per card per minute, five on each server
    eleventh = [sign_in(base, card) for base in servers]
    assert [r.status_code for r in eleventh] == [429, 429]
    assert eleventh[0].json()["error"]["code"] == "rate_limited"


def test_an_idempotent_payment_replayed_or_raced_on_the_other_server_is_paid_once(client, db, servers):
    world = make_world(db)
    fund_wallet(db, world.alice, 5000)
    db.commit()
    fees = []
    for _ in range(2):
        charged = client.post(
            "/v1/fees",
            json={
                "patron_id": world.alice.public_id,
                "type": "overdue",
                "library_id": world.library.public_id,
                "amount": {"amount": 300, "currency": "EUR"},
            },
            headers=world.idem(world.librarian),
        )
        assert charged.status_code == 201
        fees.append(charged.json["id"])
    token = sign_in(servers[0], world.alice.card_number).json()["access_token"]

    def pay(base, fee, key):
        return requests.post(
            f"{base}/v1/fees/payments",
            json={"fee_ids": [fee]},
            timeout=30,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        )

    # A retry that reaches the other server replays the first answer.
    first = pay(servers[0], fees[0], "pay-once")
    retried = pay(servers[1], fees[0], "pay-once")
    assert first.status_code == 201 and retried.status_code == 201
    assert retried.headers.get("Idempotent-Replayed") == "true" and retried.json() == first.json()
    # The same request sent to both servers at once runs once.
    key, answers = str(uuid.uuid4()), {}
    threads = [threading.Thread(target=lambda b=base: answers.__setitem__(b, pay(b, fees[1], key))) for base in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses in ([201, 201], [201, 409]), statuses
    assert db.scalar(select(func.count()).select_from(FeePayment)) == 2
    db.commit()
    assert wallet_balance(db, world.alice)[0] == 5000 - 600


def test_a_session_signed_out_on_one_server_is_refused_by_the_other(db, servers):
    world = make_world(db)
    signed_in = sign_in(servers[0], world.alice.card_number).json()
    headers = {"Authorization": f"Bearer {signed_in['access_token']}"}
    assert requests.get(f"{servers[1]}/v1/me", headers=headers, timeout=30).status_code == 200
    assert requests.post(f"{servers[0]}/v1/auth/logout", headers=headers, timeout=30).status_code in (200, 204)
    refused = requests.get(f"{servers[1]}/v1/me", headers=headers, timeout=30)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    # The other server also refuses the signed-out session's refresh token.
    refresh = requests.post(
        f"{servers[1]}/v1/auth/refresh", json={"refresh_token": signed_in["refresh_token"]}, timeout=30
    )
    assert refresh.status_code == 401
