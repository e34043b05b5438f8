"""Finance closes last month and settles the clearing between networks in the console."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select


def _last_month() -> str:
    from datetime import timedelta

    from backend.db import utcnow
    from backend.ledger.periods import month_bounds, month_of

    return month_of(month_bounds(month_of(utcnow()))[0] - timedelta(days=1))


def test_finance_closes_last_month_and_the_other_network_pays_its_transfer(console, staff_page, check_page):
    month = _last_month()
    page = staff_page("finance")
    page.get_by_role("navigation").get_by_role("link", name="Finanza").click()
    expect(page.get_by_role("heading", name="Chiusura del mese")).to_be_visible()
    expect(page.locator("#report-journal")).to_contain_text("Prima nota")
    check_page(page, "finance-01-index")
    page.get_by_label("Mese").first.select_option(month)
    page.get_by_role("button", name="Chiudi il mese").click()
    expect(page.get_by_role("status")).to_have_text("Mese chiuso: il bilancio di verifica è stato salvato.")
    expect(page.locator("#period-state")).to_have_text("chiuso")
    expect(page.locator("#trial-balance")).to_contain_text("fee_income")
    check_page(page, "finance-02-trial-balance")

    page.get_by_role("navigation").get_by_role("link", name="Compensazione tra reti").click()
    page.get_by_label("Mese").select_option(month)
    page.get_by_role("button", name="Prepara il prospetto").click()
    transfers = page.locator("#transfers")
    expect(transfers).to_contain_text("Sistema Bibliotecario di Milano")
    expect(transfers).to_contain_text("4,50")
    expect(transfers.get_by_role("button", name="Segna come pagato")).to_have_count(0)  # CSBNO is paid, not payer
    check_page(page, "finance-03-statement")

    other = staff_page("other_finance")
    other.goto(console.url(f"/console/finance/clearing/{month}"))
    other.get_by_label("Riferimento bonifico (CRO/TRN)").fill("TRN-SBM-0001")
    other.get_by_role("button", name="Segna come pagato").click()
    expect(other.get_by_role("status")).to_have_text("Trasferimento registrato come pagato.")
    expect(other.locator("#transfers")).to_contain_text("pagato · TRN-SBM-0001")
    check_page(other, "finance-04-paid")

    from backend.finance.models import ClearingTransfer

    assert console.read(lambda s: s.scalar(select(ClearingTransfer.state))) == "paid"


def test_a_librarian_cannot_open_finance(console, staff_page):
    page = staff_page("librarian")
    page.goto(console.url("/console/finance"))
    expect(page.get_by_text("Non hai il permesso")).to_be_visible()
