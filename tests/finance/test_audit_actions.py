"""Each staff action on money or rights that books no ledger entry is still in the audit trail finance reads."""

from __future__ import annotations

import getpass

from flask.cli import ScriptInfo

from backend.accounts.cli import admin_cli
from tests.finance.helpers import auth, idem, make_net, top_up
from tests.partners.helpers import make_partner


def _trail(client, net, action):
    response = client.get("/v1/finance/audit", query_string={"action": action}, headers=auth(net.finance))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def _charge(client, net, cents):
    body = {
        "patron_id": net.patron.public_id,
        "library_id": net.library.public_id,
        "type": "lost_item",
        "amount": {"amount": cents, "currency": "EUR"},
        "description": "Il nome della rosa",
    }
    response = client.post("/v1/fees", json=body, headers=idem(net.librarian))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_fee_charged_by_a_librarian_is_in_the_trail_with_amount_and_patron(client, db, app_ctx):
    a = make_net(db)
    db.commit()
    fee_id = _charge(client, a, 1800)

    [event] = _trail(client, a, "fee.")
    assert (event["action"], event["target"], event["actor"]) == ("fee.charge", fee_id, a.librarian.public_id)
    assert event["before"] is None
    assert event["after"]["amount"] == 1800 and event["after"]["status"] == "outstanding"
    assert event["after"]["patron"] == a.patron.public_id and event["after"]["library"] == a.library.public_id
    # A charge moves no money yet: the ledger part of the trail has nothing.
    assert _trail(client, a, "ledger.") == []


def test_fees_imported_by_a_librarian_are_in_the_trail_once_however_often_the_batch_comes(client, db, app_ctx):
    a = make_net(db)
    db.commit()
    batch = {
        "fees": [
            {
                "external_id": "CLAVIS-1",
                "card_number": a.patron.card_number,
                "library_code": a.library.code,
                "type": "overdue",
                "amount": {"amount": 350, "currency": "EUR"},
            }
        ]
    }
    for _ in range(2):
        response = client.post("/v1/fees/import", json=batch, headers=auth(a.librarian))
        assert response.status_code == 200, response.get_json()
    [event] = _trail(client, a, "fee.")
    assert event["action"] == "fee.charge" and event["actor"] == a.librarian.public_id
    assert event["after"]["external_id"] == "CLAVIS-1" and event["after"]["amount"] == 350


def test_waiving_an_unpaid_fee_is_in_the_trail_with_before_after_and_the_reason(client, db, app_ctx):
    a = make_net(db)
    db.commit()
    fee_id = _charge(client, a, 2000)
    waived = client.post(f"/v1/fees/{fee_id}/waive", json={"reason": "prima volta"}, headers=idem(a.librarian))
    assert waived.status_code == 200, waived.get_json()

    latest = _trail(client, a, "fee.")[0]
    assert (latest["action"], latest["target"], latest["actor"]) == ("fee.waive", fee_id, a.librarian.public_id)
    assert latest["before"]["status"] == "outstanding" and latest["after"]["status"] == "waived"
    assert latest["after"]["reason"] == "prima volta" and latest["after"]["amount"] == 2000


def test_waiving_a_paid_fee_is_in_the_trail_as_the_decision_and_as_the_refund_entry(client, db, app_ctx):
    a = make_net(db)
    top_up(db, a.patron, 5000)
    db.commit()
    fee_id = _charge(client, a, 700)
    paid = client.post("/v1/fees/payments", json={"fee_ids": [fee_id]}, headers=idem(a.patron))
    assert paid.status_code in (200, 201), paid.get_json()
    assert (
        client.post(f"/v1/fees/{fee_id}/waive", json={"reason": "errore"}, headers=idem(a.librarian)).status_code == 200
    )

    waive = _trail(client, a, "fee.waive")[0]
    assert waive["before"]["status"] == "paid" and waive["after"]["status"] == "waived"
    [refund] = _trail(client, a, "ledger.")
    assert refund["after"]["kind"] == "fee_refund" and refund["after"]["reference"] == fee_id


def test_an_agreement_its_budget_cap_an_offer_and_their_revocations_are_in_the_trail(client, db, app_ctx):
    a = make_net(db)
    partner, cinema, _ = make_partner(db, a.network)
    db.commit()
    created = client.post(
        f"/v1/partners/partners/{partner.public_id}/agreements",
        json={"title": "Cinema 2027", "valid_from": "2027-01-01", "valid_to": "2027-12-31", "budget_cap": 150_000},
        headers=auth(a.admin),
    )
    assert created.status_code == 201, created.get_json()
    agreement_id = created.get_json()["id"]
    offer = client.post(
        f"/v1/partners/agreements/{agreement_id}/offers",
        json={
            "title_it": "Ingresso ridotto",
            "title_en": "Reduced entry",
            "category": "cinema",
            "venue_ids": [cinema.public_id],
            "benefit_kind": "amount_off",
            "benefit_value": 200,
            "bearer": "network",
            "reimbursement_rule": "fixed",
            "reimbursement_value": 200,
            "valid_from": "2027-01-01",
            "valid_to": "2027-06-30",
        },
        headers=auth(a.admin),
    )
    assert offer.status_code == 201, offer.get_json()
    offer_id = offer.get_json()["id"]
    assert client.post(f"/v1/partners/offers/{offer_id}/revoke", headers=auth(a.admin)).status_code == 200
    assert client.post(f"/v1/partners/agreements/{agreement_id}/revoke", headers=auth(a.admin)).status_code == 200

    events = {e["action"]: e for e in _trail(client, a, "agreement.") + _trail(client, a, "offer.")}
    assert set(events) == {"agreement.create", "offer.create", "offer.revoke", "agreement.revoke"}
    assert all(e["actor"] == a.admin.public_id for e in events.values())
    made = events["agreement.create"]
    assert made["target"] == agreement_id and made["before"] is None
    assert made["after"]["budget_cap"] == 150_000 and made["after"]["partner"] == partner.public_id
    assert events["offer.create"]["after"]["reimbursement_value"] == 200
    assert events["offer.create"]["after"]["bearer"] == "network"
    assert events["offer.revoke"]["before"]["state"] == "active"
    assert events["offer.revoke"]["after"]["state"] == "revoked"
    assert events["agreement.revoke"]["before"]["state"] == "active"
    assert events["agreement.revoke"]["after"]["state"] == "revoked"
    assert events["agreement.revoke"]["after"]["budget_cap"] == 150_000


def test_a_partners_iban_change_is_in_the_trail_before_and_after(client, db, app_ctx):
    a = make_net(db)
    partner, _, _ = make_partner(db, a.network)
    db.commit()
    changed = client.patch(
        f"/v1/partners/partners/{partner.public_id}",
        json={"iban": "IT07X0542811101000000654321"},
        headers=auth(a.admin),
    )
    assert changed.status_code == 200, changed.get_json()
    [event] = _trail(client, a, "partner.")
    assert event["before"] == {"iban": "IT60X0542811101000000123456"}
    assert event["after"] == {"iban": "IT07X0542811101000000654321"}


def test_staff_created_at_the_command_line_are_in_the_trail_with_the_operator_as_author(app, client, db, app_ctx):
    a = make_net(db)
    db.commit()
    result = app.test_cli_runner().invoke(
        admin_cli,
        [
            "create-staff", "--network", a.network.code, "--role", "finance", "--email", "conti@example.org",
            "--name", "Conti", "--password", "long enough pw",
        ],
        obj=ScriptInfo(create_app=lambda: app),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user_id = result.output.split()[-1]

    [event] = _trail(client, a, "staff.create")
    assert event["target"] == user_id and event["channel"] == "cli"
    assert event["actor"] == f"cli:{getpass.getuser()}" and event["actor_role"] == "system"
    assert event["after"]["role"] == "finance" and event["after"]["active"] is True
    assert "conti@example.org" not in str(event)
