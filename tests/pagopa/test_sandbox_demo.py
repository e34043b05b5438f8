"""The demo's pagoPA top-up with the offline sandbox: pay in the app or from the command line."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from backend.cli import main
from backend.ledger.audit import run_audit
from backend.topups.models import Topup
from backend.topups.provider import NOTICE_EXTENSION
from payments.pagopa_sandbox import SandboxNoticeProvider
from tests.support.factories import bearer, make_library, make_network, make_patron


@pytest.fixture
def csbno_patron(db):
    network = make_network(db, code="CSBNO")  # the demo's network, with the demo's channels and creditor
    person = make_patron(db, network, make_library(db, network))
    db.commit()
    return person


@pytest.fixture
def sandbox(app):
    app.extensions[NOTICE_EXTENSION] = SandboxNoticeProvider()
    yield
    app.extensions.pop(NOTICE_EXTENSION, None)


def _post(client, patron, url, body):
    return client.post(url, json=body, headers={**bearer(patron), "Idempotency-Key": str(uuid.uuid4())})


def _state(db, topup_id):
    db.rollback()
    topup = db.scalar(select(Topup).where(Topup.public_id == topup_id))
    state = topup.status
    db.rollback()
    return state


def test_a_demo_patron_tops_up_by_pagopa_and_pays_in_the_sandbox(app, client, db, sandbox, csbno_patron):
    methods = client.get("/v1/wallet/topup-methods", headers=bearer(csbno_patron)).json["methods"]
    assert methods == ["stripe", "pagopa"]
    started = _post(
        client, csbno_patron, "/v1/wallet/topups", {"amount": {"amount": 1500, "currency": "EUR"}, "method": "pagopa"}
    )
    assert started.status_code == 201, started.json
    topup_id = started.json["topup"]["id"]
    assert started.json["topup"]["pagopa"]["creditor_fiscal_code"] == "80012345676"
    # Another server worker (a sandbox that never saw the position) takes the payment.
    app.extensions[NOTICE_EXTENSION] = SandboxNoticeProvider()
    paid = _post(client, csbno_patron, f"/v1/wallet/topups/{topup_id}/sandbox-payment", {})
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "succeeded" and paid.json["receipt_id"]
    again = _post(client, csbno_patron, f"/v1/wallet/topups/{topup_id}/sandbox-payment", {})
    assert again.status_code == 409 and again.json["error"]["code"] == "topup_not_payable"
    receipt = client.get(f"/v1/wallet/topups/{topup_id}/receipt?lang=en", headers=bearer(csbno_patron))
    assert "Wallet top-up by pagoPA" in receipt.get_data(as_text=True)
    db.rollback()
    assert run_audit(db).clean


def test_the_command_simulates_the_receipt(app, client, db, sandbox, csbno_patron):
    started = _post(
        client, csbno_patron, "/v1/wallet/topups", {"amount": {"amount": 1500, "currency": "EUR"}, "method": "pagopa"}
    )
    topup_id = started.json["topup"]["id"]
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["topups", "pagopa-pay", topup_id])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "credited"
    assert _state(db, topup_id) == "succeeded"
    assert runner.invoke(main, ["topups", "pagopa-pay", topup_id]).output.strip() == "duplicate"
    unknown = runner.invoke(main, ["topups", "pagopa-pay", "top_nope"])
    assert unknown.exit_code != 0 and "no top-up" in unknown.output


def test_the_pagopa_sandbox_is_refused_in_production():
    from backend.config import Settings
    from backend.topups.provider import build_notice_provider

    with pytest.raises(RuntimeError, match="refused in production"):
        build_notice_provider(Settings(env="production", pagopa_provider="sandbox"))
