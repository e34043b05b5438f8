"""The monthly clearing statement: five networks' positions netted into four transfers, paid and booked."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db import utcnow
from backend.finance.clearing import positions_at
from backend.finance.models import StaffAuditEvent
from backend.ledger.audit import run_audit
from backend.ledger.models import JournalEntry
from backend.ledger.periods import month_bounds, month_of
from tests.finance.helpers import auth, idem, inside, last_month, make_net, pay_fee, top_up


def _five(db):
    """Networks A–E with last month's payments across them (euros): A→C 50, A→D 60, A→E 10,
    B→C 20, B→A 20, B→E 10: a patron of the first network paying in a library of the second."""
    nets = {name: make_net(db) for name in "ABCDE"}
    month = last_month()
    for name in "AB":
        top_up(db, nets[name].patron, 20000, dated=inside(month, 1))
    for day, (payer, payee, euros) in enumerate(
        [("A", "C", 50), ("A", "D", 60), ("A", "E", 10), ("B", "C", 20), ("B", "A", 20), ("B", "E", 10)]
    ):
        pay_fee(db, nets[payer].patron, nets[payee].library, euros * 100, dated=inside(month, 2 + day))
    db.commit()
    return nets, month


def test_the_statement_nets_five_networks_into_four_transfers_and_each_network_sees_its_position(client, db, app_ctx):
    nets, month = _five(db)
    drawn = client.post("/v1/finance/clearing", json={"month": month}, headers=auth(nets["C"].finance))
    assert drawn.status_code == 200, drawn.get_json()
    body = drawn.get_json()
    code = {net.network.public_id: name for name, net in nets.items()}
    positions = {code[p["network"]["id"]]: p["position"]["amount"] for p in body["positions"]}
    assert positions == {"A": 10000, "B": 5000, "C": -7000, "D": -6000, "E": -2000}
    transfers = [(code[t["payer"]["id"]], code[t["payee"]["id"]], t["amount"]["amount"]) for t in body["transfers"]]
    assert transfers == [("A", "C", 7000), ("A", "D", 3000), ("B", "D", 3000), ("B", "E", 2000)]
    assert body["my_position"] == {"amount": -7000, "currency": "EUR"}
    # Drawn up once: asking again (another network) gives the same statement.
    again = client.post("/v1/finance/clearing", json={"month": month}, headers=auth(nets["A"].admin)).get_json()
    assert again["public_id"] == body["public_id"] and again["my_position"]["amount"] == 10000
    # Nothing of another network's patrons: no wallet, no entry, no person.
    assert "pat_" not in str(body) and "txn_" not in str(body)


def test_marking_the_transfers_paid_books_them_and_settles_every_position(client, db, app_ctx):
    nets, month = _five(db)
    body = client.post("/v1/finance/clearing", json={"month": month}, headers=auth(nets["A"].finance)).get_json()
    payer_of = {t["public_id"]: t["payer"]["id"] for t in body["transfers"]}
    by_id = {net.network.public_id: net for net in nets.values()}
    first = body["transfers"][0]

    # Only the paying network says it has paid.
    payee = by_id[first["payee"]["id"]]
    refused = client.post(
        f"/v1/finance/clearing/transfers/{first['public_id']}/paid",
        json={"bank_reference": "TRN1"},
        headers=idem(payee.finance),
    )
    assert refused.status_code == 403
    assert (
        db.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "network_settlement")) == 0
    )
    db.rollback()

    for transfer_id, payer in payer_of.items():
        paid = client.post(
            f"/v1/finance/clearing/transfers/{transfer_id}/paid",
            json={"bank_reference": f"TRN-{transfer_id[-6:]}"},
            headers=idem(by_id[payer].finance),
        )
        assert paid.status_code == 200, paid.get_json()
        assert paid.get_json()["state"] == "paid" and paid.get_json()["entry_id"].startswith("txn_")

    twice = client.post(
        f"/v1/finance/clearing/transfers/{first['public_id']}/paid",
        json={"bank_reference": "TRN9"},
        headers=idem(by_id[first["payer"]["id"]].finance),
    )
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "transfer_not_due"
    assert positions_at(db, utcnow()) == {}
    settlement = db.scalars(select(JournalEntry).where(JournalEntry.kind == "network_settlement")).first()
    assert sorted((p.account.kind, p.amount > 0) for p in settlement.postings) == [
        ("bank", False),
        ("bank", True),
        ("network_settlement", False),
        ("network_settlement", True),
    ]
    audited = db.scalars(select(StaffAuditEvent.action).where(StaffAuditEvent.action == "clearing.paid")).all()
    assert len(audited) == 4
    assert run_audit(db).clean


def test_what_a_statement_left_unpaid_is_carried_into_the_next_and_cannot_be_paid_twice(client, db, app_ctx):
    a, b = make_net(db), make_net(db)
    month = last_month()
    earlier = last_month(month_bounds(month)[0])
    top_up(db, a.patron, 10000, dated=inside(earlier, 1))
    pay_fee(db, a.patron, b.library, 1500, dated=inside(earlier, 2))
    pay_fee(db, a.patron, b.library, 500, dated=inside(month, 2))
    db.commit()
    first = client.post("/v1/finance/clearing", json={"month": earlier}, headers=auth(a.finance)).get_json()
    assert [t["amount"]["amount"] for t in first["transfers"]] == [1500]
    # Not paid; the next month's statement carries it: one transfer of 20 €, the old one superseded.
    second = client.post("/v1/finance/clearing", json={"month": month}, headers=auth(b.finance)).get_json()
    assert [t["amount"]["amount"] for t in second["transfers"]] == [2000]
    old = client.get(f"/v1/finance/clearing/{earlier}", headers=auth(a.finance)).get_json()
    assert [t["state"] for t in old["transfers"]] == ["superseded"]
    stale = client.post(
        f"/v1/finance/clearing/transfers/{old['transfers'][0]['public_id']}/paid",
        json={"bank_reference": "TRN-OLD"},
        headers=idem(a.finance),
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "transfer_not_due"
    assert (
        db.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "network_settlement")) == 0
    )
    db.rollback()
    current = client.post("/v1/finance/clearing", json={"month": month_of(utcnow())}, headers=auth(a.finance))
    assert current.status_code == 422 and current.get_json()["error"]["code"] == "period_not_ended"


def test_staff_without_finance_rights_see_no_statement(client, db, app_ctx):
    nets, month = _five(db)
    client.post("/v1/finance/clearing", json={"month": month}, headers=auth(nets["A"].finance))
    for person in (nets["A"].librarian, nets["A"].patron):
        assert client.get(f"/v1/finance/clearing/{month}", headers=auth(person)).status_code == 403
    assert client.get("/v1/finance/clearing/2026-13", headers=auth(nets["A"].finance)).status_code == 400
    assert client.get("/v1/finance/clearing/2020-01", headers=auth(nets["A"].finance)).status_code == 404
