"""A librarian's day at the cash desk, clicked through in Chromium; the language switch; another library refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import LOGINS, SPARE_DESK, sign_in
from tests.browser.pages import open_desk_session

PATRON_CARD = "CSBNO0000002"  # Marco Rossi, demo patron


def _wallet_balance(console, card: str) -> int:
    from backend.accounts.models import Patron
    from backend.ledger.services import wallet_of

    return console.read(lambda s: wallet_of(s, s.scalar(select(Patron).where(Patron.card_number == card))).balance)


def _audit_clean(console) -> bool:
    from backend.ledger.audit import run_audit

    return console.read(lambda s: run_audit(s).clean)


def _form(page, form_id: str):
    return page.locator(f"#{form_id}")


def test_a_librarian_runs_a_desk_session_in_the_browser(console, new_context, check_page):
    page = new_context().new_page()
    before = _wallet_balance(console, PATRON_CARD)

    page.goto("/console/")  # signed out: to the sign-in page, in Italian although the browser asks for English
    expect(page).to_have_url(re.compile(r"/console/login"))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    check_page(page, "journey-01-login")
    sign_in(page, "librarian")
    expect(page.locator("#role")).to_have_text("Bibliotecario")
    check_page(page, "journey-02-dashboard")

    page.get_by_role("navigation").get_by_role("link", name="Cassa", exact=True).click()
    expect(page.get_by_role("heading", name="Casse")).to_be_visible()
    check_page(page, "journey-03-desks")
    spare = page.locator("tr", has_text=SPARE_DESK)
    spare.get_by_label("Fondo cassa contato (€)").fill("50,00")
    spare.get_by_role("button", name="Apri la sessione").click()
    expect(page.get_by_role("status")).to_have_text("Sessione aperta.")
    expect(page.locator("#status")).not_to_contain_text("UTC")
    check_page(page, "journey-04-session-opened")

    topup = _form(page, "form-topup")
    topup.get_by_label("Numero tessera").fill(PATRON_CARD)
    topup.get_by_label("Importo (€)").fill("20,00")
    topup.get_by_role("button", name="Conferma").click()
    expect(page.get_by_role("status")).to_contain_text("Ricarica di 20,00\xa0€ registrata: ricevuta RHO-")
    check_page(page, "journey-05-cash-topup")

    payout = _form(page, "form-payout")
    payout.get_by_label("Numero tessera").fill(PATRON_CARD)
    payout.get_by_label("Importo (€)").fill("5,00")
    payout.get_by_role("button", name="Conferma").click()
    expect(page.get_by_role("status")).to_contain_text("Restituiti 5,00\xa0€ in contanti: ricevuta RHO-")
    expect(page.locator("#expected")).to_have_text("65,00\xa0€")
    expect(page.locator("#totals")).to_contain_text("Ricarica in contanti")
    expect(page.locator("#totals")).not_to_contain_text("cash_topup")
    check_page(page, "journey-06-payout")

    with page.expect_popup() as printed:
        page.locator("#operations").get_by_role("link", name="Stampa").last.click()
    receipt = printed.value
    receipt.wait_for_load_state()
    expect(receipt.locator("body")).to_contain_text("Ricarica del borsellino in contanti")
    expect(receipt.locator("body")).to_contain_text("20,00\xa0€")
    check_page(receipt, "journey-07-receipt")
    receipt.close()

    close = _form(page, "form-close")
    close.get_by_label("Contanti contati in cassa (€)").fill("64,00")
    close.get_by_label("Nota (spiega eventuali differenze)").fill("manca 1 euro")
    close.get_by_role("button", name="Chiudi").click()
    expect(page.get_by_role("status")).to_have_text("Sessione chiusa.")
    expect(page.locator("#difference")).to_have_text("-1,00\xa0€")
    expect(page.locator("#form-topup")).to_have_count(0)
    check_page(page, "journey-08-closed")

    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.goto("/console/desk")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    check_page(page, "journey-09-signed-out")

    assert _wallet_balance(console, PATRON_CARD) == before + 1500
    assert _audit_clean(console)


@pytest.fixture
def restores_language(console):
    """The switch saves the user's language: put the demo librarian back to Italian for the other tests."""
    yield
    from backend.accounts.models import StaffUser

    def back_to_italian(session):
        session.scalar(select(StaffUser).where(StaffUser.email == LOGINS["librarian"])).language = "it"

    console.read(back_to_italian)


def test_the_console_switches_language_on_every_page(console, staff_page, new_context, check_page, restores_language):
    page = new_context().new_page()
    page.goto("/console/login")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page, "language-01-login-en")
    sign_in(page, "librarian")
    expect(page.get_by_role("heading", name="Hello, Sara Colombo")).to_be_visible()
    expect(page.locator("#role")).to_have_text("Librarian")
    page.get_by_role("navigation").get_by_role("link", name="Cash desk", exact=True).click()
    expect(page.get_by_role("heading", name="Cash desks")).to_be_visible()
    check_page(page, "language-02-desks-en")
    page.goto(open_desk_session("RHO")(console))
    expect(page.get_by_role("heading", name="Report")).to_be_visible()
    check_page(page, "language-03-session-en")

    page.get_by_role("button", name="Italiano").click()  # back on the same page, in Italian
    expect(page.get_by_role("heading", name="Resoconto")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "it")


def test_a_librarian_of_another_library_is_refused(console, staff_page, check_page):
    from backend.desk.models import CashSession, DeskOperation

    own = staff_page("librarian")  # two browser contexts, side by side
    stranger = staff_page("other_librarian")
    session_path = open_desk_session("RHO")(console)
    own.goto(session_path)
    expect(own.get_by_role("heading", name=re.compile("Biblioteca Civica di Rho"))).to_be_visible()

    refused = stranger.goto(session_path)
    assert refused.status == 404
    expect(stranger.get_by_role("alert")).to_have_text("Non trovato, o non è di una tua biblioteca.")
    check_page(stranger, "scope-01-refused")
    stranger.goto("/console/desk")
    expect(stranger.locator("main")).to_contain_text("Biblioteca Civica di Legnano")
    expect(stranger.locator("main")).not_to_contain_text("Biblioteca Civica di Rho")

    # Even a hand-made form post with the stranger's own valid CSRF token books nothing.
    public_id = session_path.rsplit("/", 1)[1]

    def operations(s):
        return s.scalar(
            select(func.count()).select_from(DeskOperation).join(CashSession).where(CashSession.public_id == public_id)
        )

    count = console.read(operations)
    token = stranger.locator('input[name="csrf_token"]').first.get_attribute("value")
    posted = stranger.request.post(
        console.url(session_path + "/topup"),
        form={"csrf_token": token, "form_key": "stranger-key", "card_number": PATRON_CARD, "amount": "10,00"},
    )
    assert posted.status == 404
    assert console.read(operations) == count
