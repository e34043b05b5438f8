"""The monthly statement of a partner (Europe/Rome month), as data, CSV and PDF, Italian/English.

Redemptions by offer and venue (uses, tickets, discounts granted, reimbursements due
from the network), flagged uses awaiting finance, wallet payments received and
refunded, and the net the networks owe the partner for the month. Reimbursements
count accepted and approved uses; flagged ones are listed apart, not due.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_date, format_datetime
from fpdf import FPDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Partner, PartnerVenue
from backend.db import utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.i18n import LOCALES, ROME, Text, normalize_language
from backend.money import Money
from backend.partners.models import Offer, Redemption, RedemptionState, TillPayment, TillPaymentState
from backend.wallet.statement import month_bounds

T = {
    "title": Text(it="Estratto conto mensile convenzioni", en="Monthly partner statement"),
    "period": Text(it="Periodo: {period}", en="Period: {period}"),
    "partner": Text(it="Partner: {name} (P.IVA/CF {tax})", en="Partner: {name} (VAT/tax code {tax})"),
    "offer": Text(it="Convenzione", en="Offer"),
    "venue": Text(it="Sede", en="Venue"),
    "uses": Text(it="Utilizzi", en="Uses"),
    "tickets": Text(it="Biglietti", en="Tickets"),
    "discounts": Text(it="Sconti concessi", en="Discounts granted"),
    "reimbursements": Text(it="Rimborsi dalla rete", en="Reimbursements due"),
    "flagged": Text(
        it="Utilizzi in verifica (non rimborsati): {count}", en="Uses under review (not reimbursed): {count}"
    ),
    "payments": Text(it="Pagamenti con borsellino ricevuti", en="Wallet payments received"),
    "refunds": Text(it="Pagamenti con borsellino rimborsati", en="Wallet payments refunded"),
    "net": Text(it="Netto dovuto al partner", en="Net due to the partner"),
    "total": Text(it="Totale", en="Total"),
    "none": Text(it="Nessun utilizzo nel periodo.", en="No redemptions in this period."),
    "footer": Text(it="Generato il {when}. Importi in euro.", en="Generated on {when}. Amounts in euro."),
}
COUNTED = (RedemptionState.ACCEPTED, RedemptionState.APPROVED)


@dataclass
class StatementLine:
    offer_id: str
    offer_title: str
    venue_id: str
    venue_name: str
    uses: int = 0
    tickets: int = 0
    discounts: int = 0
    reimbursements: int = 0


@dataclass
class PartnerStatement:
    partner: Partner
    year: int
    month: int
    currency: str
    lines: list[StatementLine] = field(default_factory=list)
    flagged: int = 0
    payments: int = 0
    refunds: int = 0

    @property
    def discounts(self) -> int:
        return sum(line.discounts for line in self.lines)

    @property
    def reimbursements(self) -> int:
        return sum(line.reimbursements for line in self.lines)

    @property
    def net_due(self) -> int:
        return self.reimbursements + self.payments - self.refunds


def monthly_statement(
    session: Session, partner: Partner, year: int, month: int, language: str = "it", currency: str = "EUR"
) -> PartnerStatement:
    if not 1 <= month <= 12 or not 2000 <= year <= 2999:
        raise DomainError(NOT_FOUND)
    start, end = month_bounds(year, month)
    if start > utcnow():
        raise DomainError(NOT_FOUND)
    lang = normalize_language(language)
    statement = PartnerStatement(partner, year, month, currency)
    rows = session.execute(
        select(
            Offer.public_id,
            Offer.title_it,
            Offer.title_en,
            PartnerVenue.public_id,
            PartnerVenue.name,
            Redemption.state,
            func.count(),
            func.sum(Redemption.quantity),
            func.sum(Redemption.discount),
            func.sum(Redemption.reimbursement),
        )
        .join(Offer, Offer.id == Redemption.offer_id)
        .join(PartnerVenue, PartnerVenue.id == Redemption.venue_id)
        .where(Redemption.partner_id == partner.id, Redemption.scanned_at >= start, Redemption.scanned_at < end)
        .group_by(
            Offer.public_id, Offer.title_it, Offer.title_en, PartnerVenue.public_id, PartnerVenue.name, Redemption.state
        )
        .order_by(Offer.public_id, PartnerVenue.public_id)
    ).all()
    lines: dict[tuple[str, str], StatementLine] = {}
    for offer_id, title_it, title_en, venue_id, venue_name, state, uses, tickets, discounts, reimb in rows:
        if state == RedemptionState.FLAGGED:
            statement.flagged += uses
            continue
        if state not in COUNTED:
            continue
        line = lines.setdefault(
            (offer_id, venue_id), StatementLine(offer_id, title_en if lang == "en" else title_it, venue_id, venue_name)
        )
        line.uses += uses
        line.tickets += int(tickets or 0)
        line.discounts += int(discounts or 0)
        line.reimbursements += int(reimb or 0)
    statement.lines = list(lines.values())
    paid = defaultdict(int)
    for column, key in ((TillPayment.paid_at, "payments"), (TillPayment.refunded_at, "refunds")):
        states = (
            (TillPaymentState.PAID, TillPaymentState.REFUNDED) if key == "payments" else (TillPaymentState.REFUNDED,)
        )
        paid[key] = int(
            session.scalar(
                select(func.coalesce(func.sum(TillPayment.amount), 0)).where(
                    TillPayment.partner_id == partner.id, TillPayment.state.in_(states), column >= start, column < end
                )
            )
            or 0
        )
    statement.payments, statement.refunds = paid["payments"], paid["refunds"]
    return statement


def _money(amount: int, currency: str, lang: str) -> str:
    return Money(amount, currency).format(lang)


def render_csv(statement: PartnerStatement, language: str) -> str:
    lang = normalize_language(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == "it" else ",")
    writer.writerow([T[k].render(lang) for k in ("offer", "venue", "uses", "tickets", "discounts", "reimbursements")])
    for line in statement.lines:
        # Cents as decimals with a dot: spreadsheet-neutral and exact.
        writer.writerow(
            [
                line.offer_title,
                line.venue_name,
                line.uses,
                line.tickets,
                f"{line.discounts / 100:.2f}",
                f"{line.reimbursements / 100:.2f}",
            ]
        )
    writer.writerow(
        [
            T["total"].render(lang),
            "",
            sum(x.uses for x in statement.lines),
            sum(x.tickets for x in statement.lines),
            f"{statement.discounts / 100:.2f}",
            f"{statement.reimbursements / 100:.2f}",
        ]
    )
    writer.writerow([])
    writer.writerow([T["flagged"].render(lang, count=statement.flagged)])
    writer.writerow([T["payments"].render(lang), f"{statement.payments / 100:.2f}"])
    writer.writerow([T["refunds"].render(lang), f"{statement.refunds / 100:.2f}"])
    writer.writerow([T["net"].render(lang), f"{statement.net_due / 100:.2f}"])
    return out.getvalue()


def _safe(text: str) -> str:
    return text.encode("cp1252", "replace").decode("cp1252")


def render_pdf(statement: PartnerStatement, language: str) -> bytes:
    lang = normalize_language(language)
    locale = LOCALES[lang]
    cur = statement.currency
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "cp1252"
    pdf.set_title(_safe(T["title"].render(lang)))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, _safe(T["title"].render(lang)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    period = format_date(datetime(statement.year, statement.month, 1), "MMMM y", locale=locale)
    pdf.cell(0, 6, _safe(T["period"].render(lang, period=period)), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        6,
        _safe(T["partner"].render(lang, name=statement.partner.name, tax=statement.partner.tax_code)),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    widths = (58, 42, 16, 18, 28, 28)

    def row(cells, bold=False):
        pdf.set_font("helvetica", "B" if bold else "", 9)
        for width, (text, align) in zip(widths, cells):
            pdf.cell(width, 7, _safe(str(text))[:40], border="B", align=align)
        pdf.ln()

    row(
        [
            (T[k].render(lang), "L" if i < 2 else "R")
            for i, k in enumerate(("offer", "venue", "uses", "tickets", "discounts", "reimbursements"))
        ],
        bold=True,
    )
    for line in statement.lines:
        row(
            [
                (line.offer_title, "L"),
                (line.venue_name, "L"),
                (line.uses, "R"),
                (line.tickets, "R"),
                (_money(line.discounts, cur, lang), "R"),
                (_money(line.reimbursements, cur, lang), "R"),
            ]
        )
    if not statement.lines:
        row([(T["none"].render(lang), "L"), ("", "L"), ("", "R"), ("", "R"), ("", "R"), ("", "R")])
    row(
        [
            (T["total"].render(lang), "L"),
            ("", "L"),
            (sum(x.uses for x in statement.lines), "R"),
            (sum(x.tickets for x in statement.lines), "R"),
            (_money(statement.discounts, cur, lang), "R"),
            (_money(statement.reimbursements, cur, lang), "R"),
        ],
        bold=True,
    )
    pdf.ln(4)
    pdf.set_font("helvetica", size=10)
    for label, amount in (("payments", statement.payments), ("refunds", statement.refunds)):
        pdf.cell(120, 7, _safe(T[label].render(lang)))
        pdf.cell(0, 7, _safe(_money(amount, cur, lang)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(120, 8, _safe(T["net"].render(lang)))
    pdf.cell(0, 8, _safe(_money(statement.net_due, cur, lang)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "I", 9)
    pdf.cell(0, 6, _safe(T["flagged"].render(lang, count=statement.flagged)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "I", 8)
    generated = format_datetime(utcnow().astimezone(ROME), "dd/MM/yyyy HH:mm", locale=locale)
    pdf.cell(0, 5, _safe(T["footer"].render(lang, when=generated)))
    return bytes(pdf.output())
