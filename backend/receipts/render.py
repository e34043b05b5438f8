"""Receipts as printable HTML and as PDF (fpdf2), in Italian or English."""

from __future__ import annotations

from babel.dates import format_datetime
from fpdf import FPDF
from jinja2 import Environment

from backend.i18n import LOCALES, ROME, Text
from backend.money import Money
from backend.receipts.models import Receipt

TITLES = {
    "cash_topup": Text(it="Ricarica del borsellino in contanti", en="Wallet top-up in cash"),
    "cash_payout": Text(it="Restituzione di saldo in contanti", en="Wallet balance paid out in cash"),
    "card_topup": Text(it="Ricarica del borsellino con carta", en="Wallet top-up by card"),
    "pagopa_topup": Text(it="Ricarica del borsellino con pagoPA", en="Wallet top-up by pagoPA"),
    "bank_refund": Text(it="Rimborso del saldo con bonifico", en="Wallet balance refunded by bank transfer"),
    "card_refund": Text(it="Rimborso del saldo su carta", en="Wallet balance refunded to card"),
    "shop_sale": Text(it="Acquisto in biblioteca", en="Library shop purchase"),
    "shop_refund": Text(it="Rimborso di un acquisto in biblioteca", en="Library shop purchase refunded"),
}
LABELS = {
    "receipt": Text(it="Ricevuta n.", en="Receipt no."),
    "date": Text(it="Data", en="Date"),
    "issuer": Text(it="Emessa da", en="Issued by"),
    "operator": Text(it="Operatore", en="Operator"),
    "patron": Text(it="Utente", en="Patron"),
    "card": Text(it="Tessera", en="Card"),
    "amount": Text(it="Importo", en="Amount"),
    "method": Text(it="Metodo", en="Method"),
    "balance": Text(it="Saldo dopo l'operazione", en="Balance after"),
    "transaction": Text(it="Movimento", en="Transaction"),
    "footer": Text(
        it="Rete delle Reti – borsellino elettronico delle biblioteche. Conservare la ricevuta.",
        en="Rete delle Reti – the libraries' electronic wallet. Please keep this receipt.",
    ),
}
METHODS = {
    "cash": Text(it="contanti", en="cash"),
    "card": Text(it="carta", en="card"),
    "pagopa": Text(it="pagoPA", en="pagoPA"),
    "bank_transfer": Text(it="bonifico", en="bank transfer"),
    "wallet": Text(it="borsellino", en="wallet"),
}


def receipt_rows(receipt: Receipt, language: str) -> tuple[str, list[tuple[str, str]]]:
    """The title and (label, value) lines every format shows."""
    when = format_datetime(
        receipt.created_at.astimezone(ROME), "d MMMM yyyy HH:mm", locale=LOCALES.get(language, "it_IT")
    )
    rows = [
        (LABELS["receipt"].render(language), receipt.number),
        (LABELS["date"].render(language), when),
        (LABELS["issuer"].render(language), receipt.issuer_name),
        (LABELS["operator"].render(language), receipt.operator_name),
        (LABELS["patron"].render(language), receipt.patron_name),
        (LABELS["card"].render(language), receipt.card_number),
        (LABELS["amount"].render(language), Money(receipt.amount, receipt.currency).format(language)),
        (LABELS["method"].render(language), METHODS[receipt.method].render(language)),
        (LABELS["balance"].render(language), Money(receipt.balance_after, receipt.currency).format(language)),
        (LABELS["transaction"].render(language), receipt.entry_public_id),
    ]
    return TITLES[receipt.kind].render(language), rows


_HTML = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }} – {{ number }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:22rem;margin:1rem auto;color:#111}
h1{font-size:1.1rem;margin:.2rem 0 1rem}table{width:100%;border-collapse:collapse}
th{text-align:left;font-weight:normal;color:#555;padding:.25rem .5rem .25rem 0;vertical-align:top}
td{text-align:right;padding:.25rem 0}footer{margin-top:1rem;font-size:.8rem;color:#555}
@media print{button{display:none}}
</style></head><body>
<h1>{{ title }}</h1>
<table>{% for label, value in rows %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
<footer>{{ footer }}</footer>
<button onclick="window.print()">{{ print_label }}</button>
</body></html>
""")


def render_html(receipt: Receipt, language: str) -> str:
    title, rows = receipt_rows(receipt, language)
    return html_page(title, rows, receipt.number, language, LABELS["footer"].render(language))


def render_pdf(receipt: Receipt, language: str) -> bytes:
    title, rows = receipt_rows(receipt, language)
    return pdf_document(title, rows, receipt.number, LABELS["footer"].render(language))


def html_page(title: str, rows: list[tuple[str, str]], number: str, language: str, footer: str) -> str:
    """A printable receipt page: a title, (label, value) lines and a footer (any kind of receipt)."""
    return _HTML.render(
        lang=language,
        title=title,
        rows=rows,
        number=number,
        footer=footer,
        print_label="Stampa" if language == "it" else "Print",
    )


def pdf_document(title: str, rows: list[tuple[str, str]], number: str, footer: str) -> bytes:
    """The same receipt as a PDF."""
    # Receipt-printer width (80 mm); windows-1252 core fonts include "€".
    pdf = FPDF(format=(80, 150))
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(5, 5, 5)
    pdf.set_auto_page_break(True, margin=5)
    pdf.set_title(f"{title} {number}")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 11)
    pdf.multi_cell(0, 5, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in rows:
        pdf.set_font("helvetica", "", 7)
        pdf.cell(0, 3.5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "B", 9)
        pdf.multi_cell(0, 4.5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("helvetica", "", 6.5)
    pdf.multi_cell(0, 3, footer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
