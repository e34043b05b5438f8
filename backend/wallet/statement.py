"""Monthly wallet statement (estratto conto) as a PDF, in the patron's language.

Months are calendar months in Europe/Rome, as the patron lives them. The
opening balance is everything posted to the wallet before the month, the
closing balance everything up to its end; the lines in between add up to the
difference, so the statement checks itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_date, format_datetime
from fpdf import FPDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.db import utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.i18n import LOCALES, ROME, Text, normalize_language
from backend.ledger.models import JournalEntry, Posting
from backend.money import Money
from backend.wallet.references import title_of
from backend.wallet.services import find_wallet

T = {
    "title": Text(it="Estratto conto del borsellino", en="Wallet statement"),
    "period": Text(it="Periodo: {period}", en="Period: {period}"),
    "holder": Text(it="Intestatario: {name} – tessera {card}", en="Holder: {name} – card {card}"),
    "opening": Text(it="Saldo iniziale", en="Opening balance"),
    "closing": Text(it="Saldo finale", en="Closing balance"),
    "date": Text(it="Data", en="Date"),
    "what": Text(it="Descrizione", en="Description"),
    "in": Text(it="Entrate", en="In"),
    "out": Text(it="Uscite", en="Out"),
    "none": Text(it="Nessun movimento nel periodo.", en="No transactions in this period."),
    "footer": Text(
        it="Rete delle Reti – borsellino elettronico. Generato il {when}.",
        en="Rete delle Reti – electronic wallet. Generated on {when}.",
    ),
}


@dataclass
class StatementLine:
    at: datetime
    kind: str
    transaction_id: str
    change: int


@dataclass
class Statement:
    year: int
    month: int
    currency: str
    opening: Money
    closing: Money
    lines: list[StatementLine]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=ROME)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=ROME)
    return start.astimezone(UTC), end.astimezone(UTC)


def monthly_statement(session: Session, patron: Patron, year: int, month: int, currency: str = "EUR") -> Statement:
    if not 1 <= month <= 12 or not 2000 <= year <= 2999:  # the API refuses these with a 400 first
        raise DomainError(NOT_FOUND)
    start, end = month_bounds(year, month)
    if start > utcnow():
        raise DomainError(NOT_FOUND)
    wallet = find_wallet(session, patron, currency)
    if wallet is None:
        zero = Money(0, currency)
        return Statement(year, month, currency, zero, zero, [])

    def balance_before(moment: datetime) -> Money:
        total = session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).where(
                Posting.account_id == wallet.id, Posting.created_at < moment
            )
        )
        return Money(-int(total), currency)

    rows = session.execute(
        select(JournalEntry.created_at, JournalEntry.kind, JournalEntry.public_id, func.sum(Posting.amount))
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .where(Posting.account_id == wallet.id, Posting.created_at >= start, Posting.created_at < end)
        .group_by(JournalEntry.id, JournalEntry.created_at, JournalEntry.kind, JournalEntry.public_id)
        .order_by(JournalEntry.id)
    ).all()
    lines = [StatementLine(at, kind, public_id, -int(total)) for at, kind, public_id, total in rows]
    return Statement(year, month, currency, balance_before(start), balance_before(end), lines)


def _safe(text: str) -> str:
    # Core PDF fonts speak cp1252 (accents, «», €); anything else becomes "?".
    return text.encode("cp1252", "replace").decode("cp1252")


def render_pdf(statement: Statement, patron: Patron, language: str | None = None) -> bytes:
    lang = normalize_language(language or patron.language)
    locale = LOCALES[lang]

    def money(amount: int) -> str:
        return Money(amount, statement.currency).format(lang)

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
        _safe(T["holder"].render(lang, name=patron.display_name, card=patron.card_number)),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)

    widths = (38, 92, 30, 30)

    def row(cells, bold=False):
        pdf.set_font("helvetica", "B" if bold else "", 10)
        for width, (text, align) in zip(widths, cells):
            pdf.cell(width, 7, _safe(text), border="B", align=align)
        pdf.ln()

    row(
        [
            (T["date"].render(lang), "L"),
            (T["what"].render(lang), "L"),
            (T["in"].render(lang), "R"),
            (T["out"].render(lang), "R"),
        ],
        bold=True,
    )
    row([("", "L"), (T["opening"].render(lang), "L"), (money(statement.opening.amount), "R"), ("", "R")], bold=True)
    for line in statement.lines:
        when = format_datetime(line.at.astimezone(ROME), "dd/MM/yyyy HH:mm", locale=locale)
        row(
            [
                (when, "L"),
                (title_of(line.kind, lang), "L"),
                (money(line.change) if line.change > 0 else "", "R"),
                (money(-line.change) if line.change < 0 else "", "R"),
            ]
        )
    if not statement.lines:
        row([("", "L"), (T["none"].render(lang), "L"), ("", "R"), ("", "R")])
    row([("", "L"), (T["closing"].render(lang), "L"), (money(statement.closing.amount), "R"), ("", "R")], bold=True)
    pdf.ln(6)
    pdf.set_font("helvetica", "I", 8)
    generated = format_datetime(utcnow().astimezone(ROME), "dd/MM/yyyy HH:mm", locale=locale)
    pdf.cell(0, 5, _safe(T["footer"].render(lang, when=generated)))
    return bytes(pdf.output())
