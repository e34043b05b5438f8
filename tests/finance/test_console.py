"""The finance console: close a month, reopen it as an admin, download a report, mark a transfer paid."""

from __future__ import annotations

import html
import io
import re

import openpyxl
from sqlalchemy import func, select

from backend.finance.models import ClearingTransfer, StaffAuditEvent
from backend.ledger.models import ClosedPeriod
from tests.finance.helpers import inside, last_month, make_net, pay_fee, top_up


def _csrf(client, path):
    text = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _login(client, who):
    token = _csrf(client, "/console/login")
    response = client.post(
        "/console/login", data={"email": who.email, "password": "staff-password", "csrf_token": token}
    )
    assert response.status_code == 302


def test_finance_closes_a_month_downloads_it_and_only_an_admin_reopens_it(client, db, app_ctx):
    a = make_net(db)
    month = last_month()
    top_up(db, a.patron, 3000, dated=inside(month, 2))
    pay_fee(db, a.patron, a.library, 1250, dated=inside(month, 3))
    db.commit()
    _login(client, a.finance)
    token = _csrf(client, "/console/finance")
    closed = client.post("/console/finance/periods", data={"month": month, "csrf_token": token})
    assert closed.status_code == 302
    page = client.get(closed.headers["Location"]).get_data(as_text=True)
    assert "Mese chiuso" in page and "12,50" in page
    assert "Riapri il mese" not in page  # finance closes, only an admin reopens
    again = client.post("/console/finance/periods", data={"month": month, "csrf_token": token})
    assert again.status_code == 409 and "già chiuso" in again.get_data(as_text=True)

    xlsx = client.get(f"/console/finance/reports/{month}/income.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data())).active
    assert [c.value for c in sheet[2]][:2] == ["Biblioteca", "Sanzioni e tariffe"]
    assert float(sheet.cell(row=3, column=2).value) == 12.5
    assert client.get(f"/console/finance/reports/{month}/nothing.csv").status_code == 404

    client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")})
    _login(client, a.admin)
    token = _csrf(client, f"/console/finance/periods/{month}")
    for reason in ("", "  ok  ", "x" * 301):  # the API's rule holds in the console too
        short = client.post(f"/console/finance/periods/{month}/reopen", data={"reason": reason, "csrf_token": token})
        assert short.status_code == 400 and "da 3 a 300 caratteri" in short.get_data(as_text=True)
        assert db.scalar(select(ClosedPeriod.state)) == "closed"
        assert "period.reopen" not in set(db.scalars(select(StaffAuditEvent.action)).all())
        db.rollback()
    reopened = client.post(
        f"/console/finance/periods/{month}/reopen", data={"reason": "fattura tardiva", "csrf_token": token}
    )
    assert reopened.status_code == 302
    assert db.scalar(select(ClosedPeriod.state)) == "reopened"
    actions = set(db.scalars(select(StaffAuditEvent.action)).all())
    assert {"period.close", "period.reopen"} <= actions
    db.rollback()


def test_the_paying_network_marks_its_transfer_paid_and_the_other_cannot(client, db, app_ctx):
    a, b = make_net(db), make_net(db)
    month = last_month()
    top_up(db, a.patron, 3000, dated=inside(month, 2))
    pay_fee(db, a.patron, b.library, 800, dated=inside(month, 3))
    db.commit()
    _login(client, b.finance)
    token = _csrf(client, "/console/finance/clearing")
    drawn = client.post("/console/finance/clearing", data={"month": month, "csrf_token": token})
    assert drawn.status_code == 302
    page = client.get(f"/console/finance/clearing/{month}").get_data(as_text=True)
    assert "Segna come pagato" not in page and "8,00" in page  # B is paid, A pays
    transfer_id = db.scalar(select(ClearingTransfer.public_id))
    db.rollback()
    refused = client.post(
        f"/console/finance/clearing/transfers/{transfer_id}/paid",
        data={"month": month, "bank_reference": "TRN123", "csrf_token": token},
    )
    assert refused.status_code == 403

    client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")})
    _login(client, a.finance)
    token = _csrf(client, f"/console/finance/clearing/{month}")
    empty = client.post(
        f"/console/finance/clearing/transfers/{transfer_id}/paid",
        data={"month": month, "bank_reference": "", "csrf_token": token},
    )
    assert empty.status_code == 400
    assert db.scalar(select(func.count()).select_from(ClearingTransfer).where(ClearingTransfer.state == "paid")) == 0
    db.rollback()
    paid = client.post(
        f"/console/finance/clearing/transfers/{transfer_id}/paid",
        data={"month": month, "bank_reference": "TRN123", "csrf_token": token},
    )
    assert paid.status_code == 302
    assert "TRN123" in client.get(paid.headers["Location"]).get_data(as_text=True)
    assert db.scalar(select(ClearingTransfer.state)) == "paid"
    db.rollback()
    # A librarian sees none of it.
    client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")})
    _login(client, a.librarian)
    assert client.get("/console/finance").status_code == 403
    assert client.get(f"/console/finance/clearing/{month}").status_code == 403


def _kinds_shown(page: str) -> list[str]:
    table = re.search(r'<table id="trial-balance">(.*?)</table>', page, re.S).group(1)
    return [html.unescape(kind) for kind in re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td>", table)]


def test_the_closed_months_trial_balance_names_each_kind_of_account_in_words(client, db, app_ctx):
    a = make_net(db)
    month = last_month()
    top_up(db, a.patron, 3000, dated=inside(month, 2))
    pay_fee(db, a.patron, a.library, 1250, dated=inside(month, 3))
    db.commit()
    _login(client, a.finance)
    token = _csrf(client, "/console/finance")
    assert client.post("/console/finance/periods", data={"month": month, "csrf_token": token}).status_code == 302
    page = client.get(f"/console/finance/periods/{month}").get_data(as_text=True)
    # The card clearing account of the helpers is shared by every network: its line is the counterpart.
    assert _kinds_shown(page) == ["Entrate da addebiti", "Borsellini degli utenti", "Contropartita nei conti condivisi"]
    client.post("/console/language", data={"csrf_token": token, "lang": "en"})
    page = client.get(f"/console/finance/periods/{month}").get_data(as_text=True)
    assert _kinds_shown(page) == ["Fee income", "Patrons' wallets", "Counterpart in the shared accounts"]


def test_every_kind_of_ledger_account_has_a_label_in_italian_and_english():
    from backend.console.labels import has_label, label
    from backend.ledger.models import ACCOUNT_KINDS

    for kind in (*ACCOUNT_KINDS, "shared"):
        assert has_label("account_kind", kind), kind
        assert label("account_kind", kind).render("it") != kind and label("account_kind", kind).render("en") != kind
