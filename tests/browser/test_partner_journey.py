"""A cinema cashier validates a demo patron's pass on a phone-sized screen: scan → result → today → statement."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
import segno
from playwright.sync_api import expect
from sqlalchemy import func, select

PATRON_CARD = "CSBNO0000001"  # Giulia Bianchi, demo patron
PHONE = {"width": 390, "height": 844}  # a phone held upright


def _code(console, minutes_ago: int = 0) -> str:
    """What the demo patron's phone shows (the demo phone key, as `borsellino partners demo-pass`)."""
    from backend.accounts.models import Patron
    from backend.db import utcnow
    from backend.partners.demo import demo_device_key, demo_phone_key
    from backend.partners.pass_code import show_code
    from backend.partners.passes import issue_pass
    from backend.web.settings import current_settings

    def work(session):
        patron = session.scalar(select(Patron).where(Patron.card_number == PATRON_CARD))
        issued = issue_pass(session, current_settings(), patron, demo_device_key(PATRON_CARD))
        return show_code(
            issued.token, issued.pass_.public_id, demo_phone_key(PATRON_CARD), utcnow() - timedelta(minutes=minutes_ago)
        )

    return console.read(work)


def _redemptions(console) -> int:
    from backend.partners.models import Redemption

    return console.read(lambda s: s.scalar(select(func.count()).select_from(Redemption)))


def _audit_clean(console) -> bool:
    from backend.ledger.audit import run_audit

    return console.read(lambda s: run_audit(s).clean)


def test_a_cashier_validates_a_pass_on_a_phone(console, new_context, _signed_in_states, check_page):
    page = new_context(storage_state=_signed_in_states("partner")).new_page()
    page.set_viewport_size(PHONE)
    page.goto("/console/")
    before = _redemptions(console)

    page.get_by_role("navigation").get_by_role("link", name="Convalida pass").click()
    expect(page.get_by_role("heading", name="Convalida pass")).to_be_visible()
    check_page(page, "partner-01-scan")
    page.get_by_label("Convenzione").select_option(label="Biglietto ridotto 20% – Sconto percentuale")
    page.get_by_label("Prezzo intero (€)").fill("8,50")
    page.get_by_label(re.compile("Oppure scrivi il codice")).fill(_code(console))
    page.get_by_role("button", name="Convalida", exact=True).click()
    expect(page.locator("#verdict")).to_contain_text("ACCETTATO")
    expect(page.locator("#price-to-ask")).to_have_text("Chiedi 6,80\xa0€")
    expect(page.locator("#holder")).to_have_text("Giulia B. · 26–64 anni")
    check_page(page, "partner-02-accepted")

    # A screenshot of the same pass taken 3 minutes ago is refused, in large red letters.
    page.get_by_role("link", name="Prossimo pass").click()
    expect(page.get_by_label("Prezzo intero (€)")).to_have_value("8,50")
    page.get_by_label(re.compile("Oppure scrivi il codice")).fill(_code(console, minutes_ago=3))
    page.get_by_role("button", name="Convalida", exact=True).click()
    expect(page.locator("#verdict")).to_contain_text("RIFIUTATO")
    expect(page.locator("#reason")).to_contain_text("oltre 2 minuti")
    check_page(page, "partner-03-refused")
    assert _redemptions(console) == before + 1

    page.get_by_role("navigation").get_by_role("link", name="Utilizzi di oggi").click()
    expect(page.locator("#redemptions")).to_contain_text("Giulia B.")
    expect(page.locator("#redemptions")).not_to_contain_text("Bianchi")
    check_page(page, "partner-04-today")

    page.get_by_role("navigation").get_by_role("link", name="Estratto conto").click()
    expect(page.locator("#statement-lines")).to_contain_text("Biglietto ridotto 20%")
    page.get_by_role("link", name="Mese precedente").click()  # the demo's month of redemptions
    expect(page.locator("#statement-lines")).to_contain_text("Martedì a 5 €")
    expect(page.locator("#net-due")).not_to_have_text("0,00\xa0€")
    check_page(page, "partner-05-statement")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert "Biglietto ridotto 20%" in open(download.value.path(), encoding="utf-8").read()
    assert _audit_clean(console)


@pytest.mark.skip(
    reason="open defect: ZXing 0.23 finds no finder-pattern dimensions in the rendered pass QR; see issue #14"
)
def test_the_vendored_qr_reader_reads_a_pass_code(console, staff_page):
    """The camera path decodes frames with the vendored ZXing: it must read our (long) pass QR codes."""
    page = staff_page("partner")
    page.goto("/console/partners/scan")
    code = _code(console)
    png = io.BytesIO()
    segno.make(code, error="l").save(png, kind="png", scale=4, border=4)
    data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    decoded = page.evaluate(
        """async (src) => {
        const image = new Image(); image.src = src; await image.decode();
        const canvas = document.createElement('canvas'); canvas.width = image.width; canvas.height = image.height;
        canvas.getContext('2d').drawImage(image, 0, 0);
        const source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
        const bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
        return new ZXing.QRCodeReader().decode(bitmap).getText();
    }""",
        data_url,
    )
    assert decoded == code
