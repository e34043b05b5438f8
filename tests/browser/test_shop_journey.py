"""A librarian sells at the desk in Chromium: a tote bag in cash, then printing credit from the wallet, confirmed."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

PATRON_CARD = "CSBNO0000003"  # Amina Diallo, demo patron


def _patron(console):
    from backend.accounts.models import Patron

    return console.read(lambda s: s.scalar(select(Patron).where(Patron.card_number == PATRON_CARD)))


def _audit_clean(console) -> bool:
    from backend.ledger.audit import run_audit

    return console.read(lambda s: run_audit(s).clean)


def _confirm_in_the_app(console, order_id: str) -> None:
    """What the patron's tap on "confirm" does (the same service as POST /v1/confirmations/{id}/confirm)."""
    from backend.confirmations.services import answer
    from backend.shop.models import ShopOrder

    def work(session):
        order = session.scalar(select(ShopOrder).where(ShopOrder.public_id == order_id))
        answer(session, order.patron, order.confirmation.public_id, accept=True)

    console.read(work)


def test_a_librarian_rings_up_sales_in_the_browser(console, staff_page, check_page):
    page = staff_page("librarian")
    page.get_by_role("navigation").get_by_role("link", name="Negozio", exact=True).click()
    expect(page.get_by_role("heading", name="Registra una vendita")).to_be_visible()
    check_page(page, "shop-01-library")

    sale = page.locator("#form-sale")
    sale.get_by_label("Numero tessera").fill(PATRON_CARD)
    sale.get_by_label("Quantità di Borsa di tela della biblioteca").fill("1")
    sale.get_by_label("In contanti").check()
    sale.get_by_role("button", name="Addebita").click()
    expect(page.get_by_role("status")).to_contain_text("Vendita registrata: ricevuta RHO-")
    expect(page.locator("#state")).to_have_text("Concluso")
    check_page(page, "shop-02-cash-sale")
    with page.expect_popup() as printed:
        page.get_by_role("link", name="Stampa la ricevuta").click()
    receipt = printed.value
    receipt.wait_for_load_state()
    # the lines are written in the patron's language (Amina reads English), the rest in the console's
    expect(receipt.locator("body")).to_contain_text("1 × Library tote bag (IVA 22% inclusa)")
    receipt.close()

    page.get_by_role("link", name="Torna al negozio").click()
    sale = page.locator("#form-sale")
    sale.get_by_label("Numero tessera").fill(PATRON_CARD)
    sale.get_by_label("Quantità di Credito stampa e fotocopie 5 €").fill("2")
    sale.get_by_role("button", name="Addebita").click()
    expect(page.get_by_role("status")).to_contain_text("2 minuti per confermare")
    expect(page.locator("#state")).to_have_text("In attesa di conferma nell'app")
    check_page(page, "shop-03-awaiting-confirmation")
    order_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    _confirm_in_the_app(console, order_id)
    page.get_by_role("link", name="Aggiorna").click()
    expect(page.locator("#state")).to_have_text("Concluso")
    expect(page.get_by_role("link", name="Stampa la ricevuta")).to_be_visible()

    page.locator("#form-refund").get_by_role("button", name="Rimborsa l’intero ordine").click()
    expect(page.get_by_role("status")).to_have_text("Rimborso registrato.")
    expect(page.locator("#state")).to_have_text("Rimborsato")
    check_page(page, "shop-04-refunded")
    assert _audit_clean(console)


def test_another_librarian_cannot_open_rhos_shop(console, staff_page):
    from backend.accounts.models import Library

    rho = console.read(lambda s: s.scalar(select(Library.public_id).where(Library.code == "RHO")))
    page = staff_page("other_librarian")
    response = page.goto(f"/console/shop/{rho}")
    assert response.status == 404
    expect(page.locator("body")).to_contain_text("Non trovato")
