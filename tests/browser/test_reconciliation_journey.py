"""Finance reconciles the demo's card payout in the console: runs → a run → resolve both exceptions."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select


def _run(console):
    from backend.finance.reconciliation.demo import DEMO_PAYOUT
    from backend.finance.reconciliation.models import ReconciliationRun

    return console.read(
        lambda s: s.scalars(select(ReconciliationRun).where(ReconciliationRun.external_ref == DEMO_PAYOUT)).one()
    )


def test_finance_resolves_the_exceptions_of_a_payout(console, staff_page, check_page):
    page = staff_page("finance")
    page.get_by_role("navigation").get_by_role("link", name="Riconciliazioni").click()
    expect(page.get_by_role("heading", name="Riconciliazione dei versamenti carte")).to_be_visible()
    check_page(page, "reconciliation-01-runs")
    page.get_by_role("link", name="po_demo_csbno_november").click()
    expect(page.locator("#run-status")).to_have_text("Eccezioni aperte")
    exceptions = page.locator("#exceptions")
    expect(exceptions).to_contain_text("Manca nell'estratto")
    expect(exceptions).to_contain_text("Non nostro")
    check_page(page, "reconciliation-02-run")

    # A note is required: the browser refuses an empty one before anything is sent.
    first = exceptions.locator("tr.item-open").first
    first.get_by_role("button", name="Risolvi").click()
    expect(page.locator("#run-open")).to_have_text("2 / 2")

    first.get_by_label("Nota").fill("Ricarica annullata in Stripe: verificato con l'estratto conto")
    first.get_by_role("button", name="Risolvi").click()
    expect(page.get_by_role("status")).to_have_text("Eccezione risolta.")
    expect(page.locator("#run-open")).to_have_text("1 / 2")
    expect(exceptions).to_contain_text("Ricarica annullata in Stripe")

    last = exceptions.locator("tr.item-open").first
    last.get_by_label("Nota").fill("Addebito di prova del circuito, stornato")
    last.get_by_role("button", name="Risolvi").click()
    expect(page.locator("#run-status")).to_have_text("Riconciliata")
    check_page(page, "reconciliation-03-reconciled")

    page.get_by_role("button", name="Riconcilia di nuovo").click()
    expect(page.locator("#run-status")).to_have_text("Riconciliata")
    expect(exceptions).to_contain_text("Addebito di prova del circuito")
    run = _run(console)
    assert (run.status, run.open_exception_count, run.exception_count) == ("reconciled", 0, 2)


def test_a_librarian_cannot_open_reconciliation(console, staff_page):
    page = staff_page("librarian")
    page.goto(console.url("/console/reconciliation"))
    expect(page.get_by_text("Non hai il permesso")).to_be_visible()
