"""pagoPA money back by bank transfer: the patron's IBAN, finance's decision, the ledger."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from backend.ledger.models import JournalEntry
from backend.topups.models import BankRefund
from tests.pagopa.conftest import FISCAL_CODE, count
from tests.support.factories import bearer, make_network, make_staff
from tests.support.ledger import fund_wallet

IBAN = "IT60 X054 2811 1010 0000 0123 456"


@pytest.fixture
def paid(api, patron):
    """The patron paid 30 € by pagoPA, and has 10 € in cash too."""
    topup = api.started(patron, 3000)
    api.gpd.pay(FISCAL_CODE, topup["pagopa"]["iuv"])
    assert api.notify(topup["pagopa"]["iuv"]).json["outcome"] == "credited"
    fund_wallet(api.db, patron, 1000)  # cash
    api.db.commit()
    return topup


def _ask(api, patron, amount, iban=IBAN, holder="Giulia Bianchi", **extra):
    return api.client.post(
        "/v1/wallet/bank-refunds",
        json={"amount": {"amount": amount, "currency": "EUR"}, "iban": iban, "account_holder": holder, **extra},
        headers={**bearer(patron), "Idempotency-Key": str(uuid.uuid4())},
    )


def _decide(api, staff, refund_id, action, note=None):
    return api.client.post(
        f"/v1/finance/bank-refunds/{refund_id}/{action}",
        json={"note": note},
        headers={**bearer(staff), "Idempotency-Key": str(uuid.uuid4())},
    )


def test_only_pagopa_money_goes_back_by_transfer_and_bad_input_changes_nothing(api, patron, paid):
    refundable = api.client.get("/v1/wallet/refunds/refundable", headers=bearer(patron)).json
    assert refundable["refundable_by_bank_transfer"] == {"amount": 3000, "currency": "EUR"}
    assert refundable["refundable_to_card"]["amount"] == 0
    entries = count(api.db, JournalEntry)
    too_much = _ask(api, patron, 3500)  # the cash part never leaves by transfer
    assert too_much.status_code == 422 and too_much.json["error"]["code"] == "not_refundable_by_transfer"
    assert too_much.json["error"]["refundable"] == {"amount": 3000, "currency": "EUR"}
    wrong_digit = _ask(api, patron, 1000, iban="IT61 X054 2811 1010 0000 0123 456")
    assert wrong_digit.status_code == 400 and wrong_digit.json["error"]["code"] == "invalid_iban"
    assert wrong_digit.json["error"]["param"] == "iban"
    assert _ask(api, patron, 1000, iban="not an iban at all").status_code == 400
    assert _ask(api, patron, 1000, holder="").status_code == 400
    assert _ask(api, patron, 1000, bic="BCITITMM").status_code == 400
    assert count(api.db, BankRefund) == 0 and count(api.db, JournalEntry) == entries
    assert api.balance(patron) == 4000
    api.audit_clean()


def test_requested_then_approved_by_finance_booked_through_the_ledger(api, db, patron, paid):
    asked = _ask(api, patron, 2000)
    assert asked.status_code == 201, asked.json
    body = asked.json
    assert body["status"] == "requested" and body["iban"] == "IT60 •••• 3456" and body["decided_at"] is None
    assert api.balance(patron) == 2000  # debited at once: it cannot be spent twice
    api.audit_clean()

    finance = make_staff(db, "finance", patron.home_network)
    stranger = make_staff(db, "finance", make_network(db))
    db.commit()
    listed = api.client.get("/v1/finance/bank-refunds?status=requested", headers=bearer(finance)).json["data"]
    assert [r["id"] for r in listed] == [body["id"]] and listed[0]["iban"] == "IT60X0542811101000000123456"
    assert api.client.get("/v1/finance/bank-refunds", headers=bearer(stranger)).json["data"] == []
    assert _decide(api, stranger, body["id"], "approve").status_code == 404
    assert api.client.get("/v1/finance/bank-refunds", headers=bearer(patron)).status_code == 403

    approved = _decide(api, finance, body["id"], "approve", note="bonifico del 3/12")
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    again = _decide(api, finance, body["id"], "reject")
    assert again.status_code == 409 and again.json["error"]["code"] == "bank_refund_decided"
    assert api.balance(patron) == 2000
    db.rollback()
    kinds = db.scalars(select(JournalEntry.kind).order_by(JournalEntry.id)).all()
    assert kinds[-2:] == ["bank_refund", "bank_refund_paid"]
    mine = api.client.get("/v1/wallet/bank-refunds", headers=bearer(patron)).json["data"]
    assert mine[0]["status"] == "approved" and mine[0]["note"] == "bonifico del 3/12"
    api.audit_clean()


def test_rejected_gives_the_pagopa_money_back_to_the_wallet(api, db, patron, paid):
    asked = _ask(api, patron, 3000).json
    finance = make_staff(db, "finance", patron.home_network)
    db.commit()
    rejected = _decide(api, finance, asked["id"], "reject", note="IBAN not the holder's")
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert api.balance(patron) == 4000
    # The same pagoPA money is refundable by transfer again.
    refundable = api.client.get("/v1/wallet/refunds/refundable", headers=bearer(patron)).json
    assert refundable["refundable_by_bank_transfer"]["amount"] == 3000
    assert _decide(api, finance, asked["id"], "approve").status_code == 409
    api.audit_clean()
