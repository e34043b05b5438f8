"""Reporting flows (flussi di rendicontazione) matched to our receipts in the finance domain's runs."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from backend.finance.reconciliation.models import ReconciliationRun
from payments.pagopa_reporting import (
    InvalidFlow,
    ReportedPayment,
    ReportingFlow,
    build_reporting_flow,
    parse_reporting_flow,
)
from tests.pagopa.conftest import FISCAL_CODE, count
from tests.support.factories import bearer, make_network, make_staff

TODAY = date(2026, 12, 2)
PSP = "BCITITMM"


def _flow(payments, *, flow_id=None, fiscal_code=FISCAL_CODE, total=None):
    return ReportingFlow(
        flow_id=flow_id or f"{TODAY.isoformat()}{PSP}-0001",
        flow_at=datetime(2026, 12, 3, 9, 0).astimezone(),
        psp_id=PSP,
        settlement_ref="TRN20261203000123",
        settlement_date=date(2026, 12, 3),
        creditor_fiscal_code=fiscal_code,
        total_amount=sum(p.amount for p in payments) if total is None else total,
        payments=tuple(payments),
    )


def _line(iuv, amount, n, outcome="0"):
    return ReportedPayment(iuv=iuv, receipt_id=f"IUR{n:05d}", index=1, amount=amount, outcome=outcome, paid_on=TODAY)


def test_a_flow_reads_back_as_written_and_bad_totals_are_refused():
    flow = _flow([_line("01" + "1" * 15, 2050, 1), _line("01" + "2" * 15, 999, 2)])
    assert parse_reporting_flow(build_reporting_flow(flow)) == flow
    with pytest.raises(InvalidFlow, match="add up"):
        parse_reporting_flow(build_reporting_flow(_flow([_line("01" + "1" * 15, 2050, 1)], total=2000)))
    with pytest.raises(InvalidFlow):
        parse_reporting_flow(b"<not-a-flow/>")
    with pytest.raises(InvalidFlow):
        parse_reporting_flow(b'<!DOCTYPE x [<!ENTITY a "b">]><FlussoRiversamento>&a;</FlussoRiversamento>')


def _post(api, staff, document):
    return api.client.post(
        "/v1/finance/reconciliation/pagopa-flows",
        data=document,
        headers={**bearer(staff), "Content-Type": "application/xml"},
    )


def _paid(api, patron, amount):
    topup = api.started(patron, amount)
    iuv = topup["pagopa"]["iuv"]
    api.gpd.pay(FISCAL_CODE, iuv, paid_at=f"{TODAY.isoformat()}T10:15:00")
    assert api.notify(iuv).json["outcome"] == "credited"
    return iuv


def test_a_flow_matches_our_receipts_and_names_the_missing_and_the_unexpected(api, db, patron):
    reported = [_paid(api, patron, 2000), _paid(api, patron, 1500)]
    forgotten = _paid(api, patron, 700)  # paid today, in no flow of this PSP
    finance = make_staff(db, "finance", patron.home_network)
    db.commit()
    stranger_iuv = "01" + "7" * 15  # not one of ours
    flow = _flow([_line(reported[0], 2000, 1), _line(reported[1], 1500, 2), _line(stranger_iuv, 1234, 3)])
    response = _post(api, finance, build_reporting_flow(flow))
    assert response.status_code == 201, response.json
    run = response.json
    assert run["source"] == "pagopa"
    items = api.client.get(f"/v1/finance/reconciliation/runs/{run['id']}/items", headers=bearer(finance)).json["data"]
    outcomes = sorted((i["outcome"], i["match_key"]) for i in items)
    assert outcomes == sorted(
        [
            ("matched", reported[0]),
            ("matched", reported[1]),
            ("unexpected", stranger_iuv),
            ("missing_external", forgotten),
        ]
    )
    # The same flow again: the same run, nothing doubled.
    again = _post(api, finance, build_reporting_flow(flow))
    assert again.status_code == 201 and again.json["id"] == run["id"]
    assert count(api.db, ReconciliationRun) == 1
    # The forgotten receipt arrives in the PSP's next flow: matched there.
    later = _post(api, finance, build_reporting_flow(_flow([_line(forgotten, 700, 4)], flow_id=f"{TODAY}{PSP}-0002")))
    later_items = api.client.get(
        f"/v1/finance/reconciliation/runs/{later.json['id']}/items", headers=bearer(finance)
    ).json["data"]
    assert [(i["outcome"], i["match_key"]) for i in later_items] == [("matched", forgotten)]
    api.audit_clean()


def test_bad_flows_and_other_networks_flows_are_refused_and_change_nothing(api, db, patron):
    finance = make_staff(db, "finance", patron.home_network)
    other = make_staff(db, "finance", make_network(db, code="ONLYPA"))
    db.commit()
    good = build_reporting_flow(_flow([_line("01" + "1" * 15, 2050, 1)]))
    garbage = _post(api, finance, b"<FlussoRiversamento><x>")
    assert garbage.status_code == 400 and garbage.json["error"]["code"] == "invalid_reporting_flow"
    bad_total = _post(api, finance, build_reporting_flow(_flow([_line("01" + "1" * 15, 2050, 1)], total=1)))
    assert bad_total.status_code == 400
    not_theirs = _post(api, other, good)
    assert not_theirs.status_code == 422 and not_theirs.json["error"]["code"] == "unknown_creditor"
    assert _post(api, patron, good).status_code == 403
    assert count(api.db, ReconciliationRun) == 0
