"""Exactly once under concurrency (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from backend.partners.models import Agreement, Offer, Redemption
from tests.partners.helpers import Phone, assert_audit_clean, make_offer, make_world, redeem_body
from tests.support.factories import bearer, make_staff

pytestmark = pytest.mark.postgres_only


def race(app, calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        client = app.test_client()
        barrier.wait()
        results[i] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _post(client, headers, body):
    return client.post("/v1/partners/redemptions", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})


def test_the_same_pass_at_several_tills_with_one_use_left_is_accepted_once(app, db, app_ctx, client):
    world = make_world(db)
    offer = make_offer(
        db, world, per_patron_day=1, bearer="network", reimbursement_rule="fixed", reimbursement_value=300
    )
    tills = [world.till] + [make_staff(db, "partner", world.network) for _ in range(5)]
    for till in tills[1:]:
        till.partner = world.partner
    db.commit()
    phone = Phone()
    phone.sync(client, world.patrons[0])
    code = phone.code()
    headers = [bearer(till) for till in tills]
    results = race(app, [lambda c, h=h: _post(c, h, redeem_body(world, offer, code)) for h in headers])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [422] * 5, statuses
    assert {r.get_json()["error"]["code"] for r in results if r.status_code == 422} == {"limit_reached"}
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Redemption)) == 1
    assert_audit_clean(db)


def test_offer_total_and_budget_hold_under_a_rush_of_distinct_patrons(app, db, app_ctx, client):
    world = make_world(db, patrons=10, budget_cap=1500)
    offer = make_offer(db, world, total_limit=6, bearer="network", reimbursement_rule="fixed", reimbursement_value=300)
    phones = []
    for patron in world.patrons:
        phone = Phone()
        phone.sync(client, patron)
        phones.append(phone)
    headers = bearer(world.till)
    results = race(
        app, [lambda c, p=p: _post(c, headers, redeem_body(world, offer, p.code(), price=2000)) for p in phones]
    )
    accepted = [r for r in results if r.status_code == 201]
    assert len(accepted) == 5, [r.get_json() for r in results]  # the budget (5 × 3 €) binds before the total
    db.rollback()
    db.expire_all()
    assert db.get(Agreement, world.agreement.id).reimbursed == 1500
    assert db.get(Offer, offer.id).used == 5
    assert_audit_clean(db)
