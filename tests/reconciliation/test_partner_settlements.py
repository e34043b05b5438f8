"""Monthly partner settlements: computed from the month's payable, approved, paid by transfer, in the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from backend.accounts.models import Partner
from backend.ledger.models import LedgerAccount
from backend.ledger.services import Funding, account_balance, credit, debit, house_account, post_entry, wallet_of
from backend.money import Money
from tests.campaigns.helpers import assert_audit_clean
from tests.support.factories import bearer, make_network, make_patron, make_staff
from tests.support.ledger import fund_wallet

URL = "/v1/finance/reconciliation/partner-settlements"
MONTH = "2026-10"
IN_OCTOBER = datetime.fromisoformat("2026-10-15T10:00:00+00:00")


def _partner(db, network, name):
    partner = Partner(network_id=network.id, name=name, tax_code="01234567890", iban="IT60X0542811101000000123456")
    db.add(partner)
    db.flush()
    return partner


def _book(db, network, partner, kind, cents, patron=None, when=IN_OCTOBER):
    """What the partners' own code books on the network's payable to the partner (reimbursement, till)."""
    payable = house_account(db, "partner_payable", f"{network.public_id}:{partner.public_id}", network=network)
    money = Money(cents)
    if kind == "partner_reimbursement":
        expense = house_account(db, "partner_reimbursements", network.public_id, network=network)
        legs = [debit(expense, money), credit(payable, money)]
    elif kind == "partner_till_payment":
        legs = [debit(wallet_of(db, patron), money), credit(payable, money)]
    else:
        legs = [debit(payable, money), credit(wallet_of(db, patron), money)]
    # A till refund credits the wallet again (the till code points it at the payment; any lot will do here).
    funding = Funding("adjustment") if kind == "partner_till_refund" else None
    return post_entry(db, kind=kind, legs=legs, memo="test", funding=funding, dated=when)


class World:
    def __init__(self, client, db):
        self.client, self.db = client, db
        self.network = make_network(db)
        self.other = make_network(db)
        self.finance = make_staff(db, "finance", self.network)
        self.admin = make_staff(db, "admin", self.network)
        self.other_finance = make_staff(db, "finance", self.other)
        self.cinema = _partner(db, self.network, "Cinema Teatro Roma")
        self.museum = _partner(db, self.network, "Museo del Giocattolo")
        self.patron = make_patron(db, self.network)
        fund_wallet(db, self.patron, 10_000)
        _book(db, self.network, self.cinema, "partner_reimbursement", 300)
        _book(db, self.network, self.cinema, "partner_reimbursement", 450)
        _book(db, self.network, self.cinema, "partner_till_payment", 2_000, self.patron)
        _book(db, self.network, self.cinema, "partner_till_payment", 1_000, self.patron)
        _book(db, self.network, self.cinema, "partner_till_refund", 1_000, self.patron)
        _book(db, self.network, self.museum, "partner_reimbursement", 500)
        # Not October: neither the month before nor the month after.
        _book(db, self.network, self.cinema, "partner_reimbursement", 9_999, when=IN_OCTOBER - timedelta(days=30))
        _book(db, self.network, self.cinema, "partner_reimbursement", 7_777, when=IN_OCTOBER + timedelta(days=30))
        # Another network's payable to the same cinema is that network's business.
        _book(db, self.other, self.cinema, "partner_reimbursement", 123)
        db.commit()

    def post(self, path, who=None, json=None, key=False):
        headers = bearer(who or self.finance)
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        self.db.commit()
        return self.client.post(path, json=json, headers=headers)


@pytest.fixture
def world(client, db, app_ctx):
    return World(client, db)


def _by_partner(body):
    return {s["partner_name"]: s for s in body["data"]}


@pytest.fixture
def commission(app):
    from dataclasses import replace

    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(settings, partner_commission_bp=250)  # 2.5 % on till payments
    yield
    app.config["SETTINGS"] = settings


def test_the_month_is_computed_approved_and_paid_into_the_ledger(world, app, commission):
    computed = world.post(URL, json={"month": MONTH})
    assert computed.status_code == 200, computed.json
    found = _by_partner(computed.json)
    cinema = found["Cinema Teatro Roma"]
    assert cinema["reimbursements"]["amount"] == 750
    assert (cinema["till_payments"]["amount"], cinema["refunds"]["amount"]) == (3_000, 1_000)
    assert cinema["commission"]["amount"] == 50  # 2.5 % of 20,00 € net at the till
    assert cinema["total"]["amount"] == 750 + 3_000 - 1_000 - 50
    assert cinema["status"] == "draft" and found["Museo del Giocattolo"]["total"]["amount"] == 500

    # Recomputing changes nothing; approve, then pay with the transfer's reference.
    again = _by_partner(world.post(URL, json={"month": MONTH}).json)["Cinema Teatro Roma"]
    assert again["id"] == cinema["id"]
    paid_early = world.post(f"{URL}/{cinema['id']}/paid", json={"transfer_reference": "TRN1"}, key=True)
    assert paid_early.status_code == 409 and paid_early.json["error"]["code"] == "settlement_not_approved"
    approved = world.post(f"{URL}/{cinema['id']}/approve", world.admin)
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert approved.json["approved_by"] == world.admin.public_id
    assert world.post(f"{URL}/{cinema['id']}/approve").status_code == 409
    from backend.finance.models import StaffAuditEvent

    world.db.rollback()
    approvals = world.db.scalars(
        select(StaffAuditEvent).where(StaffAuditEvent.action == "partner_settlement.approved")
    ).all()
    assert [(e.actor, e.target) for e in approvals] == [(world.admin.public_id, cinema["id"])]
    world.db.rollback()
    # An approved settlement is fixed: a later booking in October does not change it.
    _book(world.db, world.network, world.cinema, "partner_reimbursement", 100)
    world.db.commit()
    refreshed = _by_partner(world.post(URL, json={"month": MONTH}).json)
    fixed = refreshed["Cinema Teatro Roma"]
    assert refreshed["Museo del Giocattolo"]["status"] == "draft"
    assert fixed["total"]["amount"] == 2_700 and fixed["status"] == "approved"

    blank = world.post(f"{URL}/{cinema['id']}/paid", json={"transfer_reference": ""}, key=True)
    assert blank.status_code == 400
    paid = world.post(f"{URL}/{cinema['id']}/paid", json={"transfer_reference": "TRN 0306 9999 1234"}, key=True)
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "paid" and paid.json["transfer_reference"] == "TRN 0306 9999 1234"
    twice = world.post(f"{URL}/{cinema['id']}/paid", json={"transfer_reference": "TRN2"}, key=True)
    assert twice.status_code == 409

    world.db.rollback()

    def balance(kind, owner):
        account = world.db.scalar(select(LedgerAccount).where(LedgerAccount.key == f"{kind}:{owner}"))
        return account_balance(world.db, account).amount

    net = world.network.public_id
    assert balance("bank", net) == -2_700
    assert balance("commission_income", net) == 50
    # What is left on the cinema's payable is only what other months added.
    assert balance("partner_payable", f"{net}:{world.cinema.public_id}") == 9_999 + 7_777 + 100
    world.db.rollback()
    assert_audit_clean(world.db)


def test_bad_months_and_other_networks_are_refused(world):
    assert world.post(URL, json={"month": "2026-13"}).status_code == 400
    assert world.post(URL, json={"month": "ottobre"}).status_code == 400
    future = world.post(URL, json={"month": "2999-01"})
    assert future.status_code == 422 and future.json["error"]["code"] == "month_not_ended"
    assert world.client.get(URL, headers=bearer(world.finance)).json["data"] == []
    draft = _by_partner(world.post(URL, json={"month": MONTH}).json)["Museo del Giocattolo"]
    other = world.post(f"{URL}/{draft['id']}/approve", world.other_finance)
    assert other.status_code == 404
    others = world.post(URL, world.other_finance, json={"month": MONTH}).json["data"]
    assert [s["total"]["amount"] for s in others] == [123]
    assert (
        world.client.get(URL, headers=bearer(world.other_finance)).json["data"][0]["partner_name"]
        == "Cinema Teatro Roma"
    )
    listed = world.client.get(URL, headers=bearer(world.finance), query_string={"month": MONTH}).json["data"]
    assert {s["status"] for s in listed} == {"draft"}


SEPTEMBER = datetime.fromisoformat("2026-09-10T10:00:00+00:00")
NOVEMBER = datetime.fromisoformat("2026-11-10T10:00:00+00:00")


def _bookshop(world):
    """A bookshop whose September refunds exceed its till payments by 6 €; nothing in October;
    10 € of reimbursements in November."""
    shop = _partner(world.db, world.network, "Libreria Ubik")
    _book(world.db, world.network, shop, "partner_till_payment", 1_000, world.patron, when=SEPTEMBER)
    _book(world.db, world.network, shop, "partner_till_refund", 1_600, world.patron, when=SEPTEMBER)
    _book(world.db, world.network, shop, "partner_reimbursement", 1_000, when=NOVEMBER)
    world.db.commit()
    return shop


def _shop_of(world, month):
    response = world.post(URL, json={"month": month})
    assert response.status_code == 200, response.json
    return _by_partner(response.json)["Libreria Ubik"]


def _money(s, *names):
    return tuple(s[n]["amount"] for n in names)


def test_a_month_of_more_refunds_than_owed_is_carried_and_netted_the_next_month(world):
    shop = _bookshop(world)
    september = _shop_of(world, "2026-09")
    assert _money(september, "till_payments", "refunds", "total", "carried_forward") == (1_000, 1_600, 0, 600)
    assert september["carried_from_month"] is None
    assert world.post(f"{URL}/{september['id']}/approve").status_code == 200
    # A month without movements still shows the carry, and hands it on whole.
    october = _shop_of(world, "2026-10")
    assert _money(october, "carried_in", "total", "carried_forward") == (600, 0, 600)
    assert october["carried_from_month"] == "2026-09"
    november = _shop_of(world, "2026-11")
    assert _money(november, "reimbursements", "carried_in", "total", "carried_forward") == (1_000, 600, 400, 0)
    assert november["carried_from_month"] == "2026-10"
    # Recomputing is the same, then it is approved and paid: 4 € leave the bank.
    assert _shop_of(world, "2026-11") == november
    for settlement in (october, november):
        assert world.post(f"{URL}/{settlement['id']}/approve").status_code == 200
    paid = world.post(f"{URL}/{november['id']}/paid", json={"transfer_reference": "TRN 77"}, key=True)
    assert paid.status_code == 200, paid.json
    assert _money(paid.json, "total", "carried_in") == (400, 600)

    world.db.rollback()
    net = world.network.public_id
    payable = world.db.scalar(
        select(LedgerAccount).where(LedgerAccount.key == f"partner_payable:{net}:{shop.public_id}")
    )
    bank = world.db.scalar(select(LedgerAccount).where(LedgerAccount.key == f"bank:{net}"))
    # Nothing lost, nothing paid twice: the three months leave the payable at zero.
    assert account_balance(world.db, payable).amount == 0
    assert account_balance(world.db, bank).amount == -400
    world.db.rollback()
    assert_audit_clean(world.db)
    others = world.client.get(URL, headers=bearer(world.other_finance)).json["data"]
    assert "Libreria Ubik" not in {s["partner_name"] for s in others}


def test_a_month_computed_after_a_later_one_took_the_carry_is_refused_and_nothing_changes(world):
    _bookshop(world)
    assert _money(_shop_of(world, "2026-09"), "carried_forward") == (600,)
    # November drawn up first takes September's carry directly...
    november = _shop_of(world, "2026-11")
    assert november["carried_from_month"] == "2026-09" and november["total"]["amount"] == 400
    # ...so October may not take it again.
    refused = world.post(URL, json={"month": "2026-10"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "settlement_out_of_order"
    assert "Libreria Ubik" in refused.json["error"]["message"]
    listed = world.client.get(URL, headers=bearer(world.finance), query_string={"month": "2026-10"}).json["data"]
    assert listed == []
    again = world.client.get(URL, headers=bearer(world.finance), query_string={"month": "2026-11"}).json["data"]
    assert [s for s in again if s["partner_name"] == "Libreria Ubik"] == [november]


def test_finance_reads_the_approval_and_the_payment_in_the_audit_trail(world):
    cinema = _by_partner(world.post(URL, json={"month": MONTH}).json)["Cinema Teatro Roma"]
    assert world.post(f"{URL}/{cinema['id']}/approve", world.admin).status_code == 200
    paid = world.post(f"{URL}/{cinema['id']}/paid", json={"transfer_reference": "TRN 42"}, key=True)
    assert paid.status_code == 200, paid.json

    def trail(who, action):
        response = world.client.get("/v1/finance/audit", query_string={"action": action}, headers=bearer(who))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["data"]

    events = trail(world.finance, "partner_settlement.")
    assert [(e["action"], e["actor"], e["target"]) for e in events] == [
        ("partner_settlement.paid", world.finance.public_id, cinema["id"]),
        ("partner_settlement.approved", world.admin.public_id, cinema["id"]),
    ]
    approved, paid_event = events[1], events[0]
    assert approved["before"] == {"status": "draft"}
    assert approved["after"] == {"status": "approved", "total": cinema["total"]["amount"], "month": MONTH}
    assert paid_event["before"] == {"status": "approved"}
    assert paid_event["after"] == {"status": "paid", "transfer_reference": "TRN 42"}
    # The payment's ledger entry is in the trail too, and none of it is another network's to read.
    assert [e["after"]["kind"] for e in trail(world.finance, "ledger.")] == ["partner_settlement"]
    assert trail(world.other_finance, "partner_settlement.") == []
