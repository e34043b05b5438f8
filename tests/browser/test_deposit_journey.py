"""Finance takes a closed desk session's cash to the bank in the console: hand-over, then the slip."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select


def _closed_session(console) -> tuple[str, str]:
    """A desk session of Rho closed with 20,00 € taken in (the float stays in the drawer): its id and library."""

    def make(session):
        from backend.accounts.models import Patron, StaffUser
        from backend.desk import services as desk
        from backend.desk.models import Desk
        from backend.money import Money
        from tests.browser.conftest import LOGINS

        librarian = session.scalars(select(StaffUser).where(StaffUser.email == LOGINS["librarian"])).one()
        library = librarian.libraries[0]
        patron = session.scalars(
            select(Patron).where(Patron.home_network_id == library.network_id).order_by(Patron.id).limit(1)
        ).one()
        counter = Desk(library=library, name="Cassa versamenti")
        session.add(counter)
        session.flush()
        cash_session = desk.open_session(session, counter, librarian, Money(5_000))
        desk.cash_topup(session, console.app.config["SETTINGS"], cash_session, librarian, patron, Money(2_000))
        desk.close_session(session, cash_session, librarian, Money(7_000), "")
        return cash_session.public_id, library.public_id

    return console.read(make)


def test_finance_hands_over_a_session_and_records_the_bank_slip(console, staff_page, check_page):
    session_id, library_id = _closed_session(console)
    page = staff_page("finance")
    page.get_by_role("navigation").get_by_role("link", name="Versamenti in banca").click()
    expect(page.get_by_role("heading", name="Versamenti in banca dei contanti")).to_be_visible()
    page.locator("#form-library select").select_option(library_id)
    page.locator("#form-library").get_by_role("button", name="Mostra").click()
    row = page.locator(f"#pending-{session_id}")
    expect(row).to_contain_text("20,00")
    expect(row).to_contain_text("nel cassetto")
    check_page(page, "deposit-01-pending")

    # The cash leaves the drawer: in transit until the slip is recorded.
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Consegna le sessioni scelte per il versamento (in viaggio)").click()
    expect(page.get_by_role("status")).to_contain_text("restano in viaggio")
    expect(page.locator(f"#pending-{session_id}")).to_contain_text("in viaggio")
    expect(page.locator("#in-transit")).to_contain_text("20,00")

    # An empty slip number is refused by the browser before anything is sent.
    page.locator(f"#pending-{session_id}").get_by_role("checkbox").check()
    page.get_by_label("Importo della distinta (€)").fill("20,00")
    page.get_by_role("button", name="Registra il versamento").click()
    expect(page.get_by_role("status")).to_contain_text("restano in viaggio")

    page.get_by_label("Numero della distinta").fill("BPM-DEMO-0001")
    page.get_by_role("button", name="Registra il versamento").click()
    expect(page.get_by_role("status")).to_have_text("Versamento registrato.")
    expect(page.locator(f"#pending-{session_id}")).to_have_count(0)
    deposit = page.locator("#deposits tr", has_text="BPM-DEMO-0001")
    expect(deposit).to_contain_text("20,00")
    check_page(page, "deposit-02-recorded")

    def booked(session):
        from backend.desk.models import CashSession
        from backend.finance.reconciliation.models import CashDeposit, CashHandover

        handover = session.scalars(
            select(CashHandover).join(CashSession).where(CashSession.public_id == session_id)
        ).one()
        deposit = session.get(CashDeposit, handover.deposit_id)
        return deposit.slip_number, deposit.amount, deposit.carried_amount

    assert console.read(booked) == ("BPM-DEMO-0001", 2_000, 2_000)


def test_a_librarian_cannot_open_the_deposits(console, staff_page):
    page = staff_page("librarian")
    page.goto(console.url("/console/reconciliation/deposits"))
    expect(page.get_by_text("Non hai il permesso")).to_be_visible()
