"""The payment notice PDF renders in both languages and its QR code decodes to the pagoPA payload."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from backend.money import Money
from backend.topups.notice import NoticeSheet, format_notice_number, render_notice
from payments.pagopa import make_iuv, notice_number

NUMBER = notice_number(make_iuv("01", "0000000004242"))
SHEET = NoticeSheet(
    creditor_name="CSBNO – Culture Socialità Biblioteche Network Operativo",
    creditor_fiscal_code="80012345678",
    debtor_name="Giulia Bianchi",
    subject="Ricarica del borsellino elettronico",
    amount=Money(2550, "EUR"),
    due_at=datetime(2026, 12, 31, 22, 59, tzinfo=UTC),
    notice_number=NUMBER,
)


def _qr_codes(pdf: bytes) -> list[str]:
    [page] = PdfReader(io.BytesIO(pdf)).pages
    found = []
    for image in page.images:
        picture = Image.open(io.BytesIO(image.data)).convert("L")
        found += [code.text for code in zxingcpp.read_barcodes(picture)]
    return found


@pytest.mark.parametrize(
    "language, words",
    [
        ("it", ["AVVISO DI PAGAMENTO", "ENTE CREDITORE", "Codice Avviso", "entro il 31/12/2026", "25,50"]),
        ("en", ["PAYMENT NOTICE", "CREDITOR BODY", "Notice number", "by 31/12/2026", "25.50"]),
    ],
)
def test_the_notice_renders_with_its_codes_and_a_qr_that_decodes_to_the_payload(language, words):
    pdf = render_notice(SHEET, language)
    assert pdf.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for word in [*words, format_notice_number(NUMBER), "80012345678", "Giulia Bianchi"]:
        assert word in text, word
    # The due date is Europe/Rome's: 22:59 UTC on the 31st is still the 31st in Rome.
    assert _qr_codes(pdf) == [f"PAGOPA|002|{NUMBER}|80012345678|2550"]


def test_the_notice_number_is_grouped_as_on_paper():
    assert format_notice_number("301000000000424251") == "3010 0000 0000 4242 51"
