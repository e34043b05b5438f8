"""Real threads on PostgreSQL: the last seats, one patron on two devices, one ticket at two gates."""

import threading

import pytest
from sqlalchemy import func, select

from backend.events.models import CheckIn, Ticket
from backend.ledger.models import LedgerAccount
from tests.events.helpers import assert_audit_clean, auth, buy_body, counts, key, make_world

pytestmark = pytest.mark.postgres_only


def race(app, calls):
    """Run each call in its own thread, released together; returns their results in order."""
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


def test_threads_racing_for_the_last_seats_sell_exactly_the_capacity(app, db, app_ctx):
    world = make_world(db, capacity=5, price=700, patrons=16, funds=1000)
    url = f"/v1/events/occurrences/{world.occurrence.public_id}/orders"
    headers = [{**auth(p), **key()} for p in world.patrons]
    results = race(app, [lambda c, h=h: c.post(url, json=buy_body(world.full), headers=h) for h in headers])
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 5 and statuses.count(409) == 11, statuses
    assert counts(db, world.occurrence)["sold"] == 5
    # Nobody charged without a ticket: every wallet is its funding minus its tickets.
    holders = dict(
        db.execute(
            select(Ticket.patron_id, func.count()).where(Ticket.status == "valid").group_by(Ticket.patron_id)
        ).all()
    )
    wallets = dict(
        db.execute(select(LedgerAccount.patron_id, LedgerAccount.balance).where(LedgerAccount.kind == "wallet")).all()
    )
    assert sum(holders.values()) == 5
    assert all(wallets[p.id] == 1000 - 700 * holders.get(p.id, 0) for p in world.patrons)
    assert_audit_clean(db)


def test_one_patron_on_several_devices_cannot_pass_the_limit(app, db, app_ctx):
    world = make_world(db, capacity=50, price=100, patrons=1, per_patron_limit=2)
    patron = world.patrons[0]
    url = f"/v1/events/occurrences/{world.occurrence.public_id}/orders"
    headers = [{**auth(patron), **key()} for _ in range(6)]
    results = race(app, [lambda c, h=h: c.post(url, json=buy_body(world.full), headers=h) for h in headers])
    assert sorted(r.status_code for r in results) == [201, 201, 422, 422, 422, 422]
    assert counts(db, world.occurrence)["tickets"] == 2
    assert_audit_clean(db)


def test_one_ticket_scanned_at_many_gates_at_once_gets_in_once(app, db, app_ctx):
    world = make_world(db, capacity=5, price=100, patrons=1)
    response = app.test_client().post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(world.full),
        headers={**auth(world.patrons[0]), **key()},
    )
    code = response.json["order"]["tickets"][0]["qr_code"]
    staff = auth(world.librarian)
    results = race(
        app,
        [
            lambda c, g=g: c.post("/v1/events/checkins", json={"code": code, "gate": f"Porta {g}"}, headers=staff)
            for g in range(8)
        ],
    )
    assert sorted(r.status_code for r in results) == [201] + [409] * 7
    assert db.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_a_ticket_scanned_while_its_patron_cancels_is_either_used_or_refunded_never_both(app, db, app_ctx):
    world = make_world(db, capacity=5, price=800, patrons=1, cancel_cutoff_hours=0)
    patron = world.patrons[0]
    response = app.test_client().post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(world.full),
        headers={**auth(patron), **key()},
    )
    ticket = response.json["order"]["tickets"][0]
    staff, mine = auth(world.librarian), {**auth(patron), **key()}
    scanned, cancelled = race(
        app,
        [
            lambda c: c.post("/v1/events/checkins", json={"code": ticket["qr_code"], "gate": "A"}, headers=staff),
            lambda c: c.post(f"/v1/events/tickets/{ticket['id']}/cancel", headers=mine),
        ],
    )
    outcome = (scanned.status_code, cancelled.status_code)
    assert outcome in ((201, 422), (422, 200)), (scanned.json, cancelled.json)
    refused = cancelled if outcome == (201, 422) else scanned
    assert refused.json["error"]["code"] == ("ticket_used" if outcome == (201, 422) else "invalid_ticket_code")
    db.expire_all()
    status = db.scalar(select(Ticket.status).where(Ticket.public_id == ticket["id"]))
    wallet = db.scalar(select(LedgerAccount.balance).where(LedgerAccount.patron_id == patron.id))
    checkins = db.scalar(select(func.count()).select_from(CheckIn))
    db.commit()
    if scanned.status_code == 201:
        assert (status, wallet, checkins) == ("used", 10_000 - 800, 1)
    else:
        assert (status, wallet, checkins) == ("cancelled", 10_000, 0)
    assert_audit_clean(db)


def test_a_date_cancelled_while_its_patrons_cancel_refunds_each_ticket_once(app, db, app_ctx):
    world = make_world(db, capacity=10, price=500, patrons=4, cancel_cutoff_hours=0)
    client = app.test_client()
    tickets = {}
    for patron in world.patrons:
        response = client.post(
            f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
            json=buy_body(world.full, 2),
            headers={**auth(patron), **key()},
        )
        tickets[patron.id] = response.json["order"]["tickets"]
    staff = {**auth(world.librarian), **key()}
    patron_calls = [
        lambda c, p=p, h={**auth(p), **key()}: c.post(f"/v1/events/tickets/{tickets[p.id][0]['id']}/cancel", headers=h)
        for p in world.patrons
    ]
    results = race(
        app,
        [lambda c: c.post(f"/v1/events/manage/occurrences/{world.occurrence.public_id}/cancel", headers=staff)]
        + patron_calls,
    )
    assert results[0].status_code == 200, results[0].json
    assert all(r.status_code in (200, 409) for r in results[1:]), [r.json for r in results[1:]]
    wallets = dict(
        db.execute(select(LedgerAccount.patron_id, LedgerAccount.balance).where(LedgerAccount.kind == "wallet")).all()
    )
    db.commit()
    # Whoever won each ticket, every patron got back exactly the 10,00 € paid.
    assert all(wallets[p.id] == 10_000 for p in world.patrons), wallets
    assert {t.status for t in db.scalars(select(Ticket))} == {"cancelled"}
    db.commit()
    assert_audit_clean(db)
