"""The patron's wallet through the API: balance, transactions, one transaction, monthly statement."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from backend.db import utcnow
from backend.ledger.services import place_hold, wallet_of
from backend.money import Money
from tests.fees.helpers import charge, make_world, pay
from tests.support.ledger import fund_wallet


@pytest.fixture
def world(db, app_ctx):
    return make_world(db)


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made with core fonts (cp1252), from its deflated content streams."""
    assert data.startswith(b"%PDF")
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            chunks.append(stream)
    return b"".join(chunks).decode("cp1252", "replace")


def test_an_empty_wallet_shows_zero_and_no_transactions(client, world):
    body = client.get("/v1/wallet", headers=world.auth(world.alice)).get_json()
    zero = {"amount": 0, "currency": "EUR"}
    assert body == {"balance": zero, "held": zero, "available": zero}
    assert client.get("/v1/wallet/transactions", headers=world.auth(world.alice)).get_json() == {
        "data": [],
        "has_more": False,
        "next_cursor": None,
    }


def test_balance_shows_held_money_apart(client, db, world):
    fund_wallet(db, world.alice, 2000)
    place_hold(db, wallet_of(db, world.alice), Money(500), expires_at=utcnow() + timedelta(minutes=10))
    db.commit()
    body = client.get("/v1/wallet", headers=world.auth(world.alice)).get_json()
    assert (body["balance"]["amount"], body["held"]["amount"], body["available"]["amount"]) == (2000, 500, 1500)


def test_transactions_page_newest_first_and_filter_by_kind_and_date(client, db, world):
    fund_wallet(db, world.alice, 1000, source="cash")
    fund_wallet(db, world.alice, 2000)
    db.commit()
    fee = charge(client, world, world.alice, 300).get_json()["id"]
    paid = pay(client, world, world.alice, [fee]).get_json()["transaction_id"]

    first = client.get("/v1/wallet/transactions?limit=2", headers=world.auth(world.alice)).get_json()
    assert [t["id"] for t in first["data"]][0] == paid and first["has_more"]
    assert first["data"][0]["direction"] == "out" and first["data"][0]["title"] == "Pagamento tariffe"
    assert first["data"][1]["kind"] == "topup_card" and first["data"][1]["amount"]["amount"] == 2000
    rest = client.get(
        f"/v1/wallet/transactions?limit=2&starting_after={first['next_cursor']}",
        headers=world.auth(world.alice, **{"Accept-Language": "en"}),
    ).get_json()
    assert [t["title"] for t in rest["data"]] == ["Cash top-up"] and not rest["has_more"]

    only_fees = client.get("/v1/wallet/transactions?kind=fee_payment", headers=world.auth(world.alice)).get_json()
    assert [t["id"] for t in only_fees["data"]] == [paid]
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    none = client.get(f"/v1/wallet/transactions?created_from={future}", headers=world.auth(world.alice)).get_json()
    assert none["data"] == []
    backwards = client.get(
        f"/v1/wallet/transactions?created_from={future}&created_to=2020-01-01T00:00:00Z",
        headers=world.auth(world.alice),
    )
    assert backwards.status_code == 400 and backwards.get_json()["error"]["param"] == "created_to"
    bad_cursor = client.get("/v1/wallet/transactions?starting_after=txn_nope", headers=world.auth(world.alice))
    assert bad_cursor.status_code == 400 and bad_cursor.get_json()["error"]["code"] == "invalid_cursor"


def test_a_patron_never_sees_someone_elses_transactions(client, db, world):
    entry = fund_wallet(db, world.alice, 1000)
    fund_wallet(db, world.bob, 10)
    db.commit()
    assert client.get(f"/v1/wallet/transactions/{entry.public_id}", headers=world.auth(world.bob)).status_code == 404
    listed = client.get("/v1/wallet/transactions", headers=world.auth(world.bob)).get_json()["data"]
    assert [t["amount"]["amount"] for t in listed] == [10]
    # Bob's cursor can't be used to page through Alice's list either.
    assert (
        client.get(
            f"/v1/wallet/transactions?starting_after={entry.public_id}", headers=world.auth(world.bob)
        ).status_code
        == 400
    )
    mine = client.get(f"/v1/wallet/transactions/{entry.public_id}", headers=world.auth(world.alice)).get_json()
    assert mine["direction"] == "in" and mine["paid_for"] == []


def test_staff_have_no_wallet(client, world):
    assert client.get("/v1/wallet", headers=world.auth(world.librarian)).status_code == 403
    assert client.get("/v1/wallet").status_code == 401


def test_monthly_statement_pdf_has_opening_and_closing_balance_in_the_patrons_language(client, db, world):
    fund_wallet(db, world.alice, 2500)
    db.commit()
    fee = charge(client, world, world.alice, 1250).get_json()["id"]
    pay(client, world, world.alice, [fee])
    now = datetime.now(UTC)
    response = client.get(f"/v1/wallet/statements/{now.year}/{now.month}", headers=world.auth(world.alice))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Estratto conto del borsellino" in text and "Saldo iniziale" in text and "Saldo finale" in text
    assert "25,00\xa0€" in text and "12,50\xa0€" in text and "Pagamento tariffe" in text

    fund_wallet(db, world.bob, 700)
    db.commit()
    english = pdf_text(client.get(f"/v1/wallet/statements/{now.year}/{now.month}", headers=world.auth(world.bob)).data)
    assert "Wallet statement" in english and "Closing balance" in english and "€7.00" in english


def test_statement_of_a_past_month_opens_and_closes_with_the_balance_before(client, db, world):
    fund_wallet(db, world.alice, 900)
    db.commit()
    text = pdf_text(client.get("/v1/wallet/statements/2024/1", headers=world.auth(world.alice)).data)
    assert "0,00\xa0€" in text and "Nessun movimento" in text


@pytest.mark.parametrize("path", ["2024/13", "2024/0", "1999/12"])
def test_statement_of_an_impossible_month_is_400(client, world, path):
    response = client.get(f"/v1/wallet/statements/{path}", headers=world.auth(world.alice))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "validation_error"


def test_statement_of_a_future_month_is_404(client, world):
    response = client.get("/v1/wallet/statements/2999/1", headers=world.auth(world.alice))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
