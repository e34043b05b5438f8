"""The statements of the hot requests, as the driver sends them (``tests/support/query_recorder.py``).

Each test warms its request up (psycopg prepares a statement on its sixth run on
a connection), then records one more and compares its statements with the pin
below. A change that adds a statement, a transaction, a ping or a rollback
fails here and names it; when the change is meant, update the pin.

Tokens come from real sign-ins, so every request pays the session-revocation
check the app's tokens cause.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update

from backend.events.models import Occurrence
from tests.events.helpers import make_world as make_events_world
from tests.fees.helpers import make_world as make_fees_world
from tests.support.factories import make_patron
from tests.support.ledger import fund_wallet
from tests.support.query_recorder import QueryRecorder

WARM_UP = 6


@pytest.fixture
def query_recorder(app):
    recorder = QueryRecorder(app.extensions["borsellino.db"].engine)
    recorder.install()
    yield recorder
    recorder.uninstall()


def card_token(client, patron, pin="1234") -> str:
    response = client.post(
        "/v1/auth/patron/card", json={"card_number": patron.card_number, "pin": pin, "device_name": "phone"}
    )
    assert response.status_code == 201, response.json
    return response.json["access_token"]


def staff_token(client, user, password="staff-password") -> str:
    response = client.post("/v1/auth/staff/password", json={"email": user.email, "password": password})
    assert response.status_code == 201, response.json
    return response.json["access_token"]


def bearer(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", **extra}


def idem(token: str) -> dict:
    return bearer(token, **{"Idempotency-Key": uuid.uuid4().hex})


# --- the pins --------------------------------------------------------------------------------------
# What the driver sends for each request, in order: one transaction per request (the idempotency
# claim is its first write), no pool ping, the refusal stored and committed in the same transaction.
# "pg: " / "sqlite: " mark what only one of them is sent; a statement with CTEs is labelled by what it
# writes, in order. On PostgreSQL the claim bounds a duplicate's wait itself (``lock_timeout`` set and
# lifted inside the INSERT: no SET LOCAL round trips), a payment's entry is one statement with its
# postings and the wallet's guarded debit, and its funding lots are read, spent and allocated in one more.


def pinned(is_pg: bool, labels: str) -> list[str]:
    lines = [line.strip() for line in labels.splitlines() if line.strip()]
    mine, other = ("pg: ", "sqlite: ") if is_pg else ("sqlite: ", "pg: ")
    return [line.removeprefix(mine) for line in lines if not line.startswith(other)]


# A wallet debit of one payment as the ledger sends it (``post_entry``), in every paying pin below.
WALLET_DEBIT = """\
pg: UPDATE ledger_accounts + INSERT journal_entries + INSERT postings
pg: UPDATE funding_lots + INSERT lot_allocations
sqlite: INSERT journal_entries
sqlite: INSERT postings
sqlite: INSERT postings
sqlite: UPDATE ledger_accounts
sqlite: SELECT funding_lots
sqlite: UPDATE funding_lots
sqlite: INSERT lot_allocations
"""

PIN_CARD_SIGN_IN = """
BEGIN
SELECT sign_in_throttles
SELECT patrons
SELECT sign_in_throttles
INSERT auth_sessions
SELECT networks
INSERT refresh_tokens
COMMIT
"""

PIN_WALLET = """
BEGIN
SELECT auth_sessions
SELECT patrons
SELECT ledger_accounts
COMMIT
"""

PIN_FEE_PAYMENT = f"""
BEGIN
SELECT auth_sessions
INSERT idempotency_keys
SELECT patrons
SELECT fees
SELECT ledger_accounts
{WALLET_DEBIT}INSERT fee_payments
UPDATE fees
SELECT notification_preferences
INSERT notifications
UPDATE idempotency_keys
COMMIT
"""

PIN_PURCHASE = f"""
BEGIN
SELECT auth_sessions
INSERT idempotency_keys
SELECT occurrences
SELECT patrons
SELECT tickets
SELECT ledger_accounts
{WALLET_DEBIT}SELECT notification_preferences
INSERT ticket_orders
INSERT tickets
INSERT notifications
UPDATE idempotency_keys
UPDATE occurrences
COMMIT
"""

PIN_SOLD_OUT = """
BEGIN
SELECT auth_sessions
INSERT idempotency_keys
SELECT occurrences
UPDATE idempotency_keys
COMMIT
"""

PIN_CHECK_IN = """
BEGIN
SELECT auth_sessions
SELECT tickets
SELECT occurrences
SELECT events
SELECT libraries
INSERT ticket_checkins
SELECT ticket_checkins
UPDATE tickets
SELECT tickets
SELECT ticket_types
COMMIT
"""

PIN_PASS_VALIDATION = """
BEGIN
SELECT auth_sessions
INSERT idempotency_keys
SELECT staff_users
SELECT partner_venues
SELECT partner_passes
pg: INSERT partner_redemptions
sqlite: SELECT partner_redemptions
sqlite: INSERT partner_redemptions
UPDATE idempotency_keys
COMMIT
"""

PIN_DONATION = f"""
BEGIN
SELECT auth_sessions
INSERT idempotency_keys
SELECT campaigns
{WALLET_DEBIT}INSERT donations
UPDATE idempotency_keys
COMMIT
"""

# --- the requests ----------------------------------------------------------------------------------


def test_card_sign_in(client, db, query_recorder, is_pg):
    world = make_fees_world(db)
    patrons = [make_patron(db, world.library.network, world.library) for _ in range(WARM_UP + 1)]
    db.commit()
    for patron in patrons[:WARM_UP]:
        card_token(client, patron)
    with query_recorder as recording:
        card_token(client, patrons[-1])
    recording.assert_labels(pinned(is_pg, PIN_CARD_SIGN_IN))


def test_wallet(client, db, query_recorder, is_pg):
    world = make_fees_world(db)
    fund_wallet(db, world.alice, 5000)
    db.commit()
    token = card_token(client, world.alice)
    for _ in range(WARM_UP):
        assert client.get("/v1/wallet", headers=bearer(token)).status_code == 200
    with query_recorder as recording:
        response = client.get("/v1/wallet", headers=bearer(token))
    assert response.status_code == 200 and response.json["balance"]["amount"] == 5000
    recording.assert_labels(pinned(is_pg, PIN_WALLET))


def test_fee_payment(client, db, query_recorder, is_pg):
    world = make_fees_world(db)
    fund_wallet(db, world.alice, 50_000)
    db.commit()
    librarian = staff_token(client, world.librarian)
    fees = []
    for _ in range(WARM_UP + 1):
        response = client.post(
            "/v1/fees",
            json={
                "patron_id": world.alice.public_id,
                "type": "overdue",
                "library_id": world.library.public_id,
                "amount": {"amount": 150, "currency": "EUR"},
            },
            headers=idem(librarian),
        )
        assert response.status_code == 201, response.json
        fees.append(response.json["id"])
    token = card_token(client, world.alice)
    for fee in fees[:WARM_UP]:
        assert client.post("/v1/fees/payments", json={"fee_ids": [fee]}, headers=idem(token)).status_code == 201
    with query_recorder as recording:
        response = client.post("/v1/fees/payments", json={"fee_ids": [fees[-1]]}, headers=idem(token))
    assert response.status_code == 201, response.json
    recording.assert_labels(pinned(is_pg, PIN_FEE_PAYMENT))


def _buy(client, token, world, occurrence=None):
    occurrence = occurrence or world.occurrence
    return client.post(
        f"/v1/events/occurrences/{occurrence.public_id}/orders",
        json={"items": [{"ticket_type": world.full.public_id, "quantity": 1}]},
        headers=idem(token),
    )


def test_ticket_purchase(client, db, query_recorder, is_pg):
    world = make_events_world(db, capacity=50, price=500, patrons=WARM_UP + 1)
    tokens = [card_token(client, patron) for patron in world.patrons]
    for token in tokens[:WARM_UP]:
        assert _buy(client, token, world).status_code == 201
    with query_recorder as recording:
        response = _buy(client, tokens[-1], world)
    assert response.status_code == 201, response.json
    recording.assert_labels(pinned(is_pg, PIN_PURCHASE))


def test_sold_out_refusal(client, db, query_recorder, is_pg):
    world = make_events_world(db, capacity=1, price=500, patrons=WARM_UP + 1)
    db.execute(update(Occurrence).where(Occurrence.id == world.occurrence.id).values(sold=1))
    db.commit()
    tokens = [card_token(client, patron) for patron in world.patrons]
    for token in tokens[:WARM_UP]:
        assert _buy(client, token, world).status_code == 409
    with query_recorder as recording:
        response = _buy(client, tokens[-1], world)
    assert response.status_code == 409 and response.json["error"]["code"] == "sold_out"
    recording.assert_labels(pinned(is_pg, PIN_SOLD_OUT))


def test_check_in(client, db, query_recorder, is_pg):
    world = make_events_world(db, capacity=50, price=500, patrons=1, per_patron_limit=20)
    token = card_token(client, world.patrons[0])
    codes = []
    for _ in range(WARM_UP + 1):
        response = _buy(client, token, world)
        assert response.status_code == 201, response.json
        codes.append(response.json["order"]["tickets"][0]["qr_code"])
    librarian = staff_token(client, world.librarian)
    for code in codes[:WARM_UP]:
        assert (
            client.post("/v1/events/checkins", json={"code": code, "gate": "A"}, headers=bearer(librarian)).status_code
            == 201
        )
    with query_recorder as recording:
        response = client.post("/v1/events/checkins", json={"code": codes[-1], "gate": "A"}, headers=bearer(librarian))
    assert response.status_code == 201, response.json
    recording.assert_labels(pinned(is_pg, PIN_CHECK_IN))


def test_a_warm_request_sends_no_deallocate(client, db, query_recorder, is_pg):
    """A refusal and a purchase after warm-up keep psycopg's prepared statements (no DEALLOCATE ALL)."""
    world = make_events_world(db, capacity=40, price=500, patrons=2, per_patron_limit=20)
    token = card_token(client, world.patrons[0])
    for _ in range(WARM_UP):
        assert _buy(client, token, world).status_code == 201
    with query_recorder as recording:
        assert _buy(client, token, world).status_code == 201
        assert client.get("/v1/wallet", headers=bearer(token)).status_code == 200
    assert recording.deallocations == []
    if is_pg:
        assert any(s.prepared for s in recording.statements), recording.labels


def test_a_changed_request_fails_naming_the_statement_it_added():
    from tests.support.query_recorder import Recording, Statement

    recording = Recording(
        [
            Statement("BEGIN"),
            Statement("SELECT a.id FROM patrons AS a WHERE a.id = $1"),
            Statement("SELECT fees.id FROM fees"),
            Statement("COMMIT"),
        ]
    )
    with pytest.raises(AssertionError) as failure:
        recording.assert_labels(["BEGIN", "SELECT patrons", "COMMIT"])
    assert "statement 3 added: SELECT fees" in str(failure.value)
    assert "SELECT fees.id FROM fees" in str(failure.value)


def test_a_refusal_after_warm_up_keeps_the_prepared_statements(client, db, query_recorder, is_pg):
    """A sold-out refusal wrote nothing but its claim: it commits (with the stored refusal), never rolls back."""
    world = make_events_world(db, capacity=1, price=500, patrons=1)
    db.execute(update(Occurrence).where(Occurrence.id == world.occurrence.id).values(sold=1))
    db.commit()
    token = card_token(client, world.patrons[0])
    for _ in range(WARM_UP):
        assert _buy(client, token, world).status_code == 409
    with query_recorder as recording:
        assert _buy(client, token, world).status_code == 409
    assert recording.count("ROLLBACK") == 0 and recording.deallocations == []
    if is_pg:
        assert all(s.prepared for s in recording.statements if s.label not in ("BEGIN", "COMMIT")), [
            (s.label, s.prepared) for s in recording.statements
        ]


def test_pass_validation(client, db, query_recorder, is_pg):
    from tests.partners.helpers import Phone, make_offer, redeem_body
    from tests.partners.helpers import make_world as make_partners_world

    world = make_partners_world(db, patrons=WARM_UP + 1)
    offer = make_offer(db, world, per_patron_day=2)
    till = staff_token(client, world.till)
    bodies = []
    for patron in world.patrons:
        phone = Phone()
        phone.sync(client, patron)
        bodies.append(redeem_body(world, offer, phone.code()))
    for body in bodies[:WARM_UP]:
        assert client.post("/v1/partners/redemptions", json=body, headers=idem(till)).status_code == 201
    with query_recorder as recording:
        response = client.post("/v1/partners/redemptions", json=bodies[-1], headers=idem(till))
    assert response.status_code == 201, response.json
    recording.assert_labels(pinned(is_pg, PIN_PASS_VALIDATION))


def test_wallet_donation(client, db, query_recorder, is_pg):
    from tests.campaigns.helpers import make_campaign
    from tests.campaigns.helpers import make_world as make_campaigns_world

    world = make_campaigns_world(db, patrons=WARM_UP + 1, funds=5000)
    campaign = make_campaign(db, world)
    tokens = [card_token(client, patron) for patron in world.patrons]
    path = f"/v1/campaigns/{campaign.public_id}/donations"
    body = {"amount": {"amount": 125, "currency": "EUR"}}
    for token in tokens[:WARM_UP]:
        assert client.post(path, json=body, headers=idem(token)).status_code == 201
    with query_recorder as recording:
        response = client.post(path, json=body, headers=idem(tokens[-1]))
    assert response.status_code == 201, response.json
    recording.assert_labels(pinned(is_pg, PIN_DONATION))
