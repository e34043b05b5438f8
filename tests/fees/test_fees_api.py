"""Library fees through the API: charge, import, pay (all or nothing), waive, history, ownership."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.ledger.audit import run_audit
from backend.ledger.services import wallet_lots, wallet_of
from backend.notify.models import Notification
from tests.fees.helpers import charge, income_of, make_world, money_state, pay, wallet_balance
from tests.support.ledger import fund_wallet


@pytest.fixture
def world(db, app_ctx):
    return make_world(db)


def test_librarian_charges_a_fee_with_the_types_default_amount_and_the_patron_is_told(client, db, world):
    response = charge(client, world, world.alice, type_="lost_item", description="Il nome della rosa")
    assert response.status_code == 201, response.get_json()
    fee = response.get_json()
    assert fee["status"] == "outstanding" and fee["amount"] == {"amount": 2000, "currency": "EUR"}
    assert fee["description"] == "Documento smarrito: Il nome della rosa"
    assert fee["library"]["id"] == world.library.public_id
    note = db.scalar(select(Notification).where(Notification.kind == "fee_charged"))
    db.commit()
    assert note is not None and "20,00" in note.body and world.library.name in note.body

    mine = client.get("/v1/fees?status=outstanding", headers=world.auth(world.alice, **{"Accept-Language": "en"}))
    assert [f["id"] for f in mine.get_json()["data"]] == [fee["id"]]
    assert mine.get_json()["data"][0]["description"] == "Lost item: Il nome della rosa"


def test_types_list_the_eight_standard_fees_of_the_network(client, world):
    types = client.get("/v1/fees/types", headers=world.auth(world.librarian)).get_json()["data"]
    assert {t["code"] for t in types} == {
        "overdue",
        "lost_item",
        "damaged_item",
        "new_card",
        "printing",
        "interlibrary_loan",
        "room_booking",
        "other",
    }
    other = next(t for t in types if t["code"] == "other")
    assert other["name_it"] == "Altro" and other["default_amount"]["amount"] == 0


def test_admin_changes_a_default_amount_and_new_charges_use_it(client, world):
    types = client.get("/v1/fees/types", headers=world.auth(world.admin)).get_json()["data"]
    printing = next(t for t in types if t["code"] == "printing")
    changed = client.patch(
        f"/v1/fees/types/{printing['id']}",
        json={"default_amount": {"amount": 15, "currency": "EUR"}},
        headers=world.auth(world.admin),
    )
    assert changed.status_code == 200 and changed.get_json()["default_amount"]["amount"] == 15
    assert charge(client, world, world.alice, type_="printing").get_json()["amount"]["amount"] == 15
    refused = client.patch(
        f"/v1/fees/types/{printing['id']}",
        json={"default_amount": {"amount": 1, "currency": "EUR"}},
        headers=world.auth(world.librarian),
    )
    assert refused.status_code == 403


def test_librarian_cannot_charge_for_a_library_outside_their_scope(client, db, world):
    before = money_state(db)
    response = charge(client, world, world.alice, library=world.other_library)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert money_state(db) == before


def test_other_type_needs_an_amount(client, db, world):
    before = money_state(db)
    response = charge(client, world, world.alice, type_="other")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "amount_required"
    unknown = charge(client, world, world.alice, type_="parking")
    assert unknown.status_code == 422 and unknown.get_json()["error"]["param"] == "type"
    assert money_state(db) == before


@pytest.mark.parametrize("amount", [-100, 0, 12.5, "500", 10**12, True, None])
def test_bad_charge_amounts_are_refused_and_change_nothing(client, db, world, amount):
    before = money_state(db)
    body = {
        "patron_id": world.alice.public_id,
        "library_id": world.library.public_id,
        "type": "overdue",
        "amount": {"amount": amount, "currency": "EUR"},
    }
    response = client.post("/v1/fees", json=body, headers=world.idem(world.librarian))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"
    assert response.get_json()["error"]["param"].startswith("amount")
    assert money_state(db) == before


def test_unknown_currency_is_refused(client, db, world):
    before = money_state(db)
    body = {
        "patron_id": world.alice.public_id,
        "library_id": world.library.public_id,
        "type": "overdue",
        "amount": {"amount": 100, "currency": "USD"},
    }
    response = client.post("/v1/fees", json=body, headers=world.idem(world.librarian))
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "amount.currency"
    assert money_state(db) == before


def test_charging_needs_an_idempotency_key_and_a_double_tap_charges_once(client, db, world):
    body = {"patron_id": world.alice.public_id, "library_id": world.library.public_id, "type": "overdue"}
    missing = client.post("/v1/fees", json=body, headers=world.auth(world.librarian))
    assert missing.status_code == 400 and missing.get_json()["error"]["code"] == "idempotency_key_missing"
    first = charge(client, world, world.alice, key="tap-1")
    again = charge(client, world, world.alice, key="tap-1")
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json()["id"] == first.get_json()["id"]
    assert len(client.get("/v1/fees", headers=world.auth(world.alice)).get_json()["data"]) == 1


def test_patron_pays_several_fees_of_two_libraries_in_one_transaction(client, db, world):
    fund_wallet(db, world.alice, 5000)
    db.commit()
    first = charge(client, world, world.alice, 150).get_json()["id"]
    client_admin_fee = client.post(
        "/v1/fees",
        json={"patron_id": world.alice.public_id, "library_id": world.other_library.public_id, "type": "new_card"},
        headers=world.idem(world.admin),
    ).get_json()["id"]

    response = pay(client, world, world.alice, [first, client_admin_fee])
    assert response.status_code == 201, response.get_json()
    payment = response.get_json()
    assert payment["amount"] == {"amount": 450, "currency": "EUR"}
    assert payment["balance"] == {"amount": 4550, "currency": "EUR"}
    assert {f["status"] for f in payment["fees"]} == {"paid"}
    assert wallet_balance(db, world.alice)[0] == 4550
    assert income_of(db, world.library) == 150 and income_of(db, world.other_library) == 300

    txn = client.get(f"/v1/wallet/transactions/{payment['transaction_id']}", headers=world.auth(world.alice)).get_json()
    assert txn["direction"] == "out" and txn["amount"]["amount"] == 450 and txn["kind"] == "fee_payment"
    assert sorted(item["id"] for item in txn["paid_for"]) == sorted([first, client_admin_fee])
    assert db.scalar(select(Notification).where(Notification.kind == "fee_paid")) is not None
    assert run_audit(db).clean
    db.commit()


def test_payment_is_all_or_nothing_when_the_wallet_cannot_afford_the_total(client, db, world):
    fund_wallet(db, world.alice, 1000)
    db.commit()
    cheap = charge(client, world, world.alice, 300).get_json()["id"]
    dear = charge(client, world, world.alice, 900).get_json()["id"]
    before = money_state(db)
    response = pay(client, world, world.alice, [cheap, dear])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_funds" and error["shortfall"] == {"amount": 200, "currency": "EUR"}
    assert money_state(db) == before


def test_paying_an_already_paid_fee_is_a_conflict_and_charges_nothing(client, db, world):
    fund_wallet(db, world.alice, 1000)
    db.commit()
    fee = charge(client, world, world.alice, 300).get_json()["id"]
    assert pay(client, world, world.alice, [fee]).status_code == 201
    before = money_state(db)
    again = pay(client, world, world.alice, [fee])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "fee_not_outstanding"
    assert money_state(db) == before


def test_a_patron_cannot_see_or_pay_someone_elses_fee(client, db, world):
    fund_wallet(db, world.bob, 1000)
    db.commit()
    alices = charge(client, world, world.alice, 300).get_json()["id"]
    before = money_state(db)
    assert pay(client, world, world.bob, [alices]).status_code == 404
    assert client.get(f"/v1/fees/{alices}", headers=world.auth(world.bob)).status_code == 404
    assert client.get("/v1/fees", headers=world.auth(world.bob)).get_json()["data"] == []
    assert money_state(db) == before


@pytest.mark.parametrize("body", [{"fee_ids": []}, {"fee_ids": "fee_x"}, {"fee_ids": ["a", "a"]}, {}, {"fee_ids": [1]}])
def test_malformed_payment_requests_are_refused(client, db, world, body):
    before = money_state(db)
    response = client.post("/v1/fees/payments", json=body, headers=world.idem(world.alice))
    assert response.status_code == 400 and response.get_json()["error"]["param"].startswith("fee_ids")
    assert money_state(db) == before


def test_waiving_an_outstanding_fee_cancels_it_without_moving_money(client, db, world):
    fee = charge(client, world, world.alice, 300).get_json()["id"]
    before_entries = money_state(db)[0]
    response = client.post(f"/v1/fees/{fee}/waive", json={"reason": "prima volta"}, headers=world.idem(world.librarian))
    assert response.status_code == 200 and response.get_json()["status"] == "waived"
    assert response.get_json()["waive_reason"] == "prima volta"
    assert money_state(db)[0] == before_entries
    assert pay(client, world, world.alice, [fee]).status_code == 409


def test_waiving_a_paid_fee_gives_the_money_back_to_the_same_funding(client, db, world):
    fund_wallet(db, world.alice, 400, source="cash")
    fund_wallet(db, world.alice, 600, source="card", provider_ref="pi_1")
    db.commit()
    one = charge(client, world, world.alice, 500).get_json()["id"]
    two = charge(client, world, world.alice, 200).get_json()["id"]
    assert pay(client, world, world.alice, [one, two]).status_code == 201
    assert wallet_balance(db, world.alice)[0] == 300

    response = client.post(f"/v1/fees/{one}/waive", json={"reason": "restituito"}, headers=world.idem(world.librarian))
    assert response.status_code == 200, response.get_json()
    refund_id = response.get_json()["refund_transaction_id"]
    assert wallet_balance(db, world.alice)[0] == 800
    lots = {lot.source: lot.remaining for lot in wallet_lots(db, wallet_of(db, world.alice))}
    db.commit()
    # 700 were paid from 400 cash + 300 card; the 500 refund goes back to card first (latest lot).
    assert lots == {"cash": 200, "card": 600}
    assert income_of(db, world.library) == 200
    txn = client.get(f"/v1/wallet/transactions/{refund_id}", headers=world.auth(world.alice)).get_json()
    assert txn["direction"] == "in" and txn["amount"]["amount"] == 500 and txn["paid_for"][0]["id"] == one
    twice = client.post(f"/v1/fees/{one}/waive", json={"reason": "ancora"}, headers=world.idem(world.librarian))
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "fee_already_waived"
    assert wallet_balance(db, world.alice)[0] == 800
    assert run_audit(db).clean


def test_waiving_needs_a_reason_and_the_fee_in_scope(client, db, world):
    fee = client.post(
        "/v1/fees",
        json={"patron_id": world.alice.public_id, "library_id": world.other_library.public_id, "type": "overdue"},
        headers=world.idem(world.admin),
    ).get_json()["id"]
    before = money_state(db)
    out_of_scope = client.post(
        f"/v1/fees/{fee}/waive", json={"reason": "perché sì"}, headers=world.idem(world.librarian)
    )
    assert out_of_scope.status_code == 404
    no_reason = client.post(f"/v1/fees/{fee}/waive", json={}, headers=world.idem(world.admin))
    assert no_reason.status_code == 400 and no_reason.get_json()["error"]["param"] == "reason"
    by_patron = client.post(f"/v1/fees/{fee}/waive", json={"reason": "per favore"}, headers=world.idem(world.alice))
    assert by_patron.status_code == 403
    assert money_state(db) == before


def test_librarian_history_shows_only_their_libraries_and_filters(client, world):
    mine = charge(client, world, world.alice, 100).get_json()["id"]
    charge(client, world, world.bob, 200)
    client.post(
        "/v1/fees",
        json={"patron_id": world.alice.public_id, "library_id": world.other_library.public_id, "type": "overdue"},
        headers=world.idem(world.admin),
    )
    listed = client.get("/v1/fees", headers=world.auth(world.librarian)).get_json()["data"]
    assert len(listed) == 2 and {f["library"]["id"] for f in listed} == {world.library.public_id}
    alices = client.get(f"/v1/fees?patron_id={world.alice.public_id}", headers=world.auth(world.librarian)).get_json()
    assert [f["id"] for f in alices["data"]] == [mine]
    assert len(client.get("/v1/fees", headers=world.auth(world.admin)).get_json()["data"]) == 3
    page = client.get("/v1/fees?limit=1", headers=world.auth(world.admin)).get_json()
    assert page["has_more"] and len(page["data"]) == 1
    rest = client.get(
        f"/v1/fees?limit=5&starting_after={page['next_cursor']}", headers=world.auth(world.admin)
    ).get_json()
    assert len(rest["data"]) == 2 and not rest["has_more"]


def _batch(world, **changes):
    items = [
        {
            "external_id": "CLAVIS-1",
            "card_number": world.alice.card_number,
            "library_code": world.library.code,
            "type": "overdue",
            "amount": {"amount": 120, "currency": "EUR"},
            "description": "3 giorni",
        },
        {
            "external_id": "CLAVIS-2",
            "card_number": world.bob.card_number.lower(),
            "library_code": world.library.code,
            "type": "printing",
        },
        {"external_id": "CLAVIS-3", "card_number": "NOSUCHCARD", "library_code": world.library.code, "type": "overdue"},
        {
            "external_id": "CLAVIS-4",
            "card_number": world.alice.card_number,
            "library_code": world.other_library.code,
            "type": "overdue",
        },
    ]
    for item in items:
        item.update(changes.get(item["external_id"], {}))
    return {"fees": items}


def test_batch_import_is_idempotent_by_external_id_with_a_result_per_item(client, db, world):
    first = client.post("/v1/fees/import", json=_batch(world), headers=world.auth(world.librarian))
    assert first.status_code == 200, first.get_json()
    results = {r["external_id"]: (r["result"], r["error"]) for r in first.get_json()["data"]}
    assert results == {
        "CLAVIS-1": ("created", None),
        "CLAVIS-2": ("created", None),
        "CLAVIS-3": ("rejected", "unknown_card_number"),
        "CLAVIS-4": ("rejected", "unknown_library_code"),
    }
    after_first = money_state(db)

    again = client.post("/v1/fees/import", json=_batch(world), headers=world.auth(world.librarian))
    assert [r["result"] for r in again.get_json()["data"]] == ["unchanged", "unchanged", "rejected", "rejected"]
    assert [r["fee_id"] for r in again.get_json()["data"][:2]] == [r["fee_id"] for r in first.get_json()["data"][:2]]
    assert money_state(db) == after_first

    reused = client.post(
        "/v1/fees/import",
        json=_batch(world, **{"CLAVIS-1": {"amount": {"amount": 999, "currency": "EUR"}}}),
        headers=world.auth(world.librarian),
    )
    assert reused.get_json()["data"][0] == {
        "external_id": "CLAVIS-1",
        "result": "rejected",
        "fee_id": None,
        "error": "external_id_reused",
    }
    assert money_state(db) == after_first
    alices = client.get("/v1/fees", headers=world.auth(world.alice)).get_json()["data"]
    assert [(f["external_id"], f["amount"]["amount"]) for f in alices] == [("CLAVIS-1", 120)]


def test_batch_with_a_bad_item_is_refused_whole(client, db, world):
    before = money_state(db)
    bad = _batch(world, **{"CLAVIS-2": {"amount": {"amount": -5, "currency": "EUR"}}})
    response = client.post("/v1/fees/import", json=bad, headers=world.auth(world.librarian))
    assert response.status_code == 400 and response.get_json()["error"]["param"].startswith("fees")
    duplicate = {"fees": [_batch(world)["fees"][0]] * 2}
    assert client.post("/v1/fees/import", json=duplicate, headers=world.auth(world.librarian)).status_code == 400
    assert money_state(db) == before
