"""The pagoPA payment notice (avviso di pagamento) of a top-up, as a one-page PDF.

It follows the layout of pagoPA's notice: what is paid and to whom, how much
and by when, where to pay, and the payment box with the QR code, the notice
number and the creditor's fiscal code, which any PSP (a bank's app, a post
office, a tobacconist) reads to take the payment. The QR code says
``PAGOPA|002|<notice number>|<creditor fiscal code>|<amount in cents>``
(``payments.pagopa.qr_payload``) and is drawn with segno, the project's QR
library. Italian or English; times in Europe/Rome.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import segno
from fpdf import FPDF

from backend.i18n import Text
from backend.money import Money
from payments.pagopa import ROME, qr_payload


@dataclass(frozen=True)
class NoticeSheet:
    creditor_name: str
    creditor_fiscal_code: str
    debtor_name: str
    subject: str
    amount: Money
    due_at: datetime
    notice_number: str

    @property
    def qr_payload(self) -> str:
        return qr_payload(self.notice_number, self.creditor_fiscal_code, self.amount.amount)


T = {
    "title": Text(it="AVVISO DI PAGAMENTO", en="PAYMENT NOTICE"),
    "creditor": Text(it="ENTE CREDITORE", en="CREDITOR BODY"),
    "debtor": Text(it="DESTINATARIO AVVISO", en="ADDRESSEE OF THE NOTICE"),
    "fiscal_code": Text(it="Cod. Fiscale", en="Fiscal code"),
    "how_much": Text(it="QUANTO E QUANDO PAGARE?", en="HOW MUCH AND WHEN TO PAY?"),
    "by": Text(it="entro il", en="by"),
    "how_much_note": Text(
        it="Dopo la scadenza l'avviso non è più pagabile: nessun importo viene addebitato. "
        "Se lo paghi comunque, la somma viene accreditata sul tuo borsellino.",
        en="After the due date the notice can no longer be paid: nothing is charged. "
        "If it is paid anyway, the money is credited to your wallet.",
    ),
    "where": Text(it="DOVE PAGARE?", en="WHERE TO PAY?"),
    "where_list": Text(
        it="Lista dei canali di pagamento su www.pagopa.gov.it", en="List of payment channels at www.pagopa.gov.it"
    ),
    "online": Text(it="PAGA SUL SITO O CON LE APP", en="PAY ONLINE OR IN AN APP"),
    "online_text": Text(
        it="dell'app Borsellino, della tua Banca o degli altri canali di pagamento. "
        "Potrai pagare con carte, conto corrente, CBILL.",
        en="in the Borsellino app, your bank's app or another payment channel. "
        "You can pay by card, bank account or CBILL.",
    ),
    "in_person": Text(it="PAGA SUL TERRITORIO", en="PAY IN PERSON"),
    "in_person_text": Text(
        it="in tutti gli Uffici Postali, in Banca, in Ricevitoria, dal Tabaccaio, al Bancomat, al Supermercato. "
        "Potrai pagare in contanti, con carte o conto corrente.",
        en="at any post office, bank, lottery outlet, tobacconist, cash machine or supermarket. "
        "You can pay in cash, by card or from a bank account.",
    ),
    "box": Text(it="BANCHE E ALTRI CANALI", en="BANKS AND OTHER CHANNELS"),
    "box_text": Text(
        it="Qui accanto trovi il codice QR per pagare attraverso il circuito bancario e gli altri canali "
        "di pagamento abilitati.",
        en="Beside this text is the QR code to pay through the banking network and the other enabled payment channels.",
    ),
    "addressee": Text(it="Destinatario", en="Addressee"),
    "creditor_short": Text(it="Ente Creditore", en="Creditor body"),
    "subject": Text(it="Oggetto del pagamento", en="Payment for"),
    "notice_code": Text(it="Codice Avviso", en="Notice number"),
    "creditor_code": Text(it="Cod. Fiscale Ente Creditore", en="Creditor's fiscal code"),
    "euro": Text(it="Euro", en="Euro"),
}


def _safe(text: str) -> str:
    # Core PDF fonts speak cp1252 (accents, €); a name in another script is shown with "?".
    return text.encode("cp1252", errors="replace").decode("cp1252")


def format_notice_number(number: str) -> str:
    """Grouped as on the paper notice: 4-4-4-4-2 digits."""
    return " ".join(number[i : i + 4] for i in range(0, 16, 4)) + " " + number[16:]


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def render_notice(sheet: NoticeSheet, language: str = "it") -> bytes:
    def t(key: str) -> str:
        return _safe(T[key].render(language))

    due = sheet.due_at.astimezone(ROME).strftime("%d/%m/%Y")
    amount = _safe(sheet.amount.format(language))
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "cp1252"
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{T['title'].render(language)} {sheet.notice_number}")
    pdf.add_page()
    width = pdf.w - 30

    # Header: the document, the pagoPA mark, what is paid.
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(width * 0.7, 9, t("title"))
    pdf.set_text_color(0, 102, 204)
    pdf.cell(width * 0.3, 9, "pagoPA", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(width, 6, _safe(sheet.subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # Creditor and addressee, side by side.
    top = pdf.get_y()
    for column, (label, name, code) in enumerate(
        [
            (t("creditor"), sheet.creditor_name, f"{t('fiscal_code')} {sheet.creditor_fiscal_code}"),
            (t("debtor"), sheet.debtor_name, ""),
        ]
    ):
        x = 15 + column * width / 2
        pdf.set_xy(x, top)
        pdf.set_font("helvetica", "B", 8)
        pdf.cell(width / 2 - 4, 5, label, new_x="LEFT", new_y="NEXT")
        pdf.set_font("helvetica", "B", 11)
        pdf.multi_cell(width / 2 - 4, 5.5, _safe(name), new_x="LEFT", new_y="NEXT")
        if code:
            pdf.set_font("helvetica", "", 9)
            pdf.cell(width / 2 - 4, 5, code, new_x="LEFT", new_y="NEXT")
    pdf.set_xy(15, top + 26)

    # How much and when; where to pay.
    top = pdf.get_y()
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(width / 2 - 4, 6, t("how_much"), new_x="LEFT", new_y="NEXT")
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(width / 2 - 4, 8, f"{amount}  {t('by')} {due}", new_x="LEFT", new_y="NEXT")
    pdf.set_font("helvetica", "", 8)
    pdf.multi_cell(width / 2 - 4, 4, t("how_much_note"), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(15 + width / 2, top)
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(width / 2, 6, t("where"), new_x="LEFT", new_y="NEXT")
    pdf.set_font("helvetica", "", 8)
    pdf.cell(width / 2, 4, t("where_list"), new_x="LEFT", new_y="NEXT")
    for heading, text in (("online", "online_text"), ("in_person", "in_person_text")):
        pdf.ln(2)
        pdf.set_font("helvetica", "B", 9)
        pdf.cell(width / 2, 5, t(heading), new_x="LEFT", new_y="NEXT")
        pdf.set_font("helvetica", "", 8)
        pdf.multi_cell(width / 2, 4, t(text), new_x="LEFT", new_y="NEXT")

    # The payment box: what a PSP reads.
    box_top = 150.0
    pdf.set_draw_color(0, 102, 204)
    pdf.set_line_width(0.6)
    pdf.rect(15, box_top, width, 80)
    pdf.set_xy(20, box_top + 4)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(width - 10, 6, t("box"), new_x="LEFT", new_y="NEXT")
    pdf.set_font("helvetica", "", 8)
    pdf.multi_cell(70, 4, t("box_text"), new_x="LEFT", new_y="NEXT")
    pdf.image(io.BytesIO(qr_png(sheet.qr_payload)), x=20, y=box_top + 26, w=48, h=48)
    x = 80.0
    pdf.set_xy(x, box_top + 16)
    rows = [
        (t("addressee"), sheet.debtor_name),
        (t("creditor_short"), sheet.creditor_name),
        (t("subject"), sheet.subject),
        (t("notice_code"), format_notice_number(sheet.notice_number)),
        (t("creditor_code"), sheet.creditor_fiscal_code),
        (t("euro"), amount),
    ]
    for label, value in rows:
        pdf.set_x(x)
        pdf.set_font("helvetica", "", 7.5)
        pdf.cell(width - x + 15 - 5, 4, label, new_x="LEFT", new_y="NEXT")
        pdf.set_font("helvetica", "B", 10)
        pdf.multi_cell(width - x + 15 - 5, 5, _safe(value), new_x="LEFT", new_y="NEXT")
        pdf.ln(0.8)
    return bytes(pdf.output())
