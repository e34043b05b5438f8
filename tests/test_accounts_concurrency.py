"""Sign-in state under real concurrency (PostgreSQL, threads released together)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from backend.accounts.models import AuthSession, SignInThrottle
from backend.accounts.signin import MAX_FAILURES
from tests.accounts_helpers import card_sign_in
from tests.support.factories import make_network, make_patron

pytestmark = pytest.mark.postgres_only

THREADS = 8


def _together(app, work):
    """Run ``work(client)`` in THREADS threads released at once; their results."""
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def run(i):
        client = app.test_client()
        barrier.wait()
        results[i] = work(client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_one_refresh_token_used_by_many_devices_at_once_wins_once_and_revokes_the_family(app, client, db):
    make_patron(db, make_network(db), pin="2468", card="RACE0001")
    db.commit()
    pair = card_sign_in(client, "RACE0001", "2468").get_json()
    statuses = _together(
        app, lambda c: c.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code
    )
    assert sorted(statuses) == [200] + [401] * (THREADS - 1)
    db.expire_all()
    assert db.scalar(select(AuthSession.revoked_reason)) == "refresh_reuse"


def test_simultaneous_wrong_pins_are_all_counted(app, client, db):
    make_patron(db, make_network(db), pin="2468", card="RACE0002")
    db.commit()
    statuses = _together(app, lambda c: card_sign_in(c, "RACE0002", "0000").status_code)
    assert set(statuses) <= {401, 429}
    db.expire_all()
    throttle = db.scalar(select(SignInThrottle).where(SignInThrottle.key == "card:RACE0002"))
    # Every refused attempt counted: none lost to a concurrent update.
    assert throttle.failures == statuses.count(401) >= MAX_FAILURES
    assert throttle.locked_until is not None
    db.rollback()
    assert card_sign_in(client, "RACE0002", "2468").status_code == 429
