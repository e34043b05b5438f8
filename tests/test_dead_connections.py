"""No ping per checkout: a connection the server closed is replaced and the request runs again."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.fees.helpers import make_world
from tests.support.ledger import fund_wallet


def _terminate_every_other_connection(database_url: str) -> int:
    url = make_url(database_url)
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True
    ) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


@pytest.fixture
def new_connections_afterwards(app):
    yield
    # The test kills every connection of the database, the pool's idle ones too; the requests
    # recover by themselves, but the suite's own cleanup after each test does not retry.
    app.extensions["borsellino.db"].engine.dispose()


@pytest.mark.postgres_only
def test_requests_after_the_server_closed_the_pools_connections_succeed(
    new_connections_afterwards, client, db, database_url
):
    world = make_world(db)
    fund_wallet(db, world.alice, 5000)
    db.commit()
    signed_in = client.post("/v1/auth/patron/card", json={"card_number": world.alice.card_number, "pin": "1234"})
    headers = {"Authorization": f"Bearer {signed_in.json['access_token']}"}
    assert client.get("/v1/wallet", headers=headers).status_code == 200
    db.close()
    assert _terminate_every_other_connection(database_url) >= 1  # a restart, an idle timeout
    wallet = client.get("/v1/wallet", headers=headers)
    assert wallet.status_code == 200 and wallet.json["balance"]["amount"] == 5000
    fee = client.post(
        "/v1/fees",
        json={
            "patron_id": world.alice.public_id,
            "library_id": world.library.public_id,
            "type": "overdue",
            "amount": {"amount": 200, "currency": "EUR"},
        },
        headers=world.idem(world.librarian),
    )
    assert fee.status_code == 201
    assert _terminate_every_other_connection(database_url) >= 1
    paid = client.post(
        "/v1/fees/payments", json={"fee_ids": [fee.json["id"]]}, headers={**headers, "Idempotency-Key": "after-restart"}
    )
    assert paid.status_code == 201, paid.json
    assert client.get("/v1/wallet", headers=headers).json["balance"]["amount"] == 4800
