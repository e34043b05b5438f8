"""A curator makes a reading guide in Chromium: create it, add a title by ISBN, publish; a patron then sees it."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select


def test_a_librarian_creates_a_guide_adds_by_isbn_and_publishes(console, staff_page, check_page):
    page = staff_page("librarian")
    page.get_by_role("navigation").get_by_role("link", name="Guide di lettura", exact=True).click()
    expect(page.get_by_role("heading", name="Guide di lettura", exact=True)).to_be_visible()
    check_page(page, "guide-journey-01-index")

    form = page.locator("#form-create-guide")
    form.get_by_label("Titolo (italiano)").fill("Leggere la montagna")
    form.get_by_label("Tema", exact=True).fill("montagna")
    form.get_by_label("Età da").fill("12")
    form.get_by_role("button", name="Crea la bozza").click()
    expect(page.get_by_role("status")).to_have_text("Guida creata: ora aggiungi i titoli.")
    expect(page.locator("#guide-state")).to_contain_text("Bozza")
    check_page(page, "guide-journey-02-draft")

    add = page.locator("#form-add-isbn")
    add.get_by_label("ISBN", exact=True).fill("88-04-47328-3")  # a wrong check digit
    add.get_by_role("button", name="Aggiungi").click()
    expect(page.get_by_role("alert")).to_contain_text("Codice ISBN non valido")
    add = page.locator("#form-add-isbn")
    add.get_by_label("ISBN", exact=True).fill("88-04-47328-2")
    add.get_by_label("Nota del curatore").fill("Per cominciare")
    add.get_by_role("button", name="Aggiungi").click()
    expect(page.get_by_role("status")).to_have_text("Titolo aggiunto.")
    expect(page.locator("#items")).to_contain_text("9788804473282")  # normalised to ISBN-13
    expect(page.locator("#items")).to_contain_text("Il nome della rosa")  # the demo's shared record
    check_page(page, "guide-journey-03-item")

    page.locator("#form-publish").get_by_role("button", name="Pubblica").click()
    expect(page.get_by_role("status")).to_have_text("Guida pubblicata.")
    expect(page.locator("#guide-state")).to_contain_text("Pubblicata")
    check_page(page, "guide-journey-04-published")

    from backend.guides.models import Guide, GuideItem

    state, isbns = console.read(
        lambda s: (
            s.scalar(select(Guide.state).where(Guide.title_it == "Leggere la montagna")),
            [
                i.record.isbn
                for i in s.scalars(select(GuideItem).join(Guide).where(Guide.title_it == "Leggere la montagna"))
            ],
        )
    )
    assert state == "published" and isbns == ["9788804473282"]
