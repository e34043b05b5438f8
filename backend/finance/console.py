"""Console pages of finance: period close, clearing between networks, reports and downloads.

The same services as the API (``backend.finance``), so the same rules: finance staff and
admins of a network, only their network's books; reopening a month is for admins. A
refused form renders the page again with the reason and a 4xx status, so the unit of
work rolls back. The reconciliation pages are in ``backend.finance.reconciliation.console``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Response, redirect, request, url_for
from sqlalchemy import select

from backend.accounts.models import StaffUser
from backend.console.access import bp, console_principal, language, register_link, render, staff_page
from backend.console.labels import register_labels
from backend.db import utcnow
from backend.errors import DomainError
from backend.finance import audit, clearing, exports, periods, psd2, reports
from backend.finance.errors import BANK_REFERENCE_REQUIRED
from backend.finance.models import StaffAuditEvent
from backend.finance.present import present_period_detail, present_statement
from backend.i18n import ROME, Text
from backend.ledger.periods import month_bounds, month_of
from backend.money import Money
from backend.pagination import paginate
from backend.web.database import db

FINANCE = ("finance", "admin")

T = {
    "title": Text(it="Finanza", en="Finance"),
    "clearing": Text(it="Compensazione tra reti", en="Clearing between networks"),
    "closed": Text(
        it="Mese chiuso: il bilancio di verifica è stato salvato.", en="Month closed: its trial balance was stored."
    ),
    "reopened": Text(it="Mese riaperto.", en="Month reopened."),
    "paid": Text(it="Trasferimento registrato come pagato.", en="Transfer booked as paid."),
    "not_found": Text(it="Non trovato, o non è della tua rete.", en="Not found, or not of your network."),
    "audit": Text(it="Registro delle azioni del personale", en="Staff audit trail"),
    "bad_filter": Text(
        it="Filtro non valido: date come AAAA-MM-GG, la prima non dopo la seconda.",
        en="Not a valid filter: dates as YYYY-MM-DD, the first not after the second.",
    ),
}
REPORT_LABELS = {
    "trial_balance": Text(it="Bilancio di verifica", en="Trial balance"),
    "wallet_float": Text(it="Giacenza dei borsellini", en="Wallet float"),
    "income": Text(it="Entrate per biblioteca e tipo", en="Income per library and kind"),
    "card_fees": Text(it="Commissioni Stripe", en="Stripe fees"),
    "cash_over_short": Text(it="Differenze di cassa", en="Cash over/short"),
    "journal": Text(it="Prima nota", en="Journal"),
    "treasury": Text(it="Elenco per la tesoreria", en="List for the treasury"),
    "audit": Text(it="Registro delle azioni del personale", en="Staff audit trail"),
    "campaign_closings": Text(it="Chiusure delle campagne", en="Campaign closing transfers"),
    "art_bonus": Text(it="Art Bonus per beneficiario", en="Art Bonus per owner"),
}

register_link("console.finance_index", T["title"], *FINANCE)
register_link("console.finance_clearing", T["clearing"], *FINANCE)
register_link("console.finance_audit", T["audit"], *FINANCE)
# The prefixes people filter by; the page labels each event by its prefix's group.
AUDIT_GROUPS = {
    "ledger.": Text(it="Movimenti contabili", en="Ledger entries"),
    "period.": Text(it="Chiusura dei mesi", en="Month close"),
    "clearing.": Text(it="Compensazione tra reti", en="Clearing between networks"),
    "partner_settlement.": Text(it="Regolamenti partner", en="Partner settlements"),
    "reconciliation.": Text(it="Riconciliazioni", en="Reconciliation"),
    "staff.": Text(it="Personale e permessi", en="Staff and rights"),
    "fee.": Text(it="Addebiti", en="Fees"),
    "agreement.": Text(it="Convenzioni", en="Agreements"),
    "offer.": Text(it="Offerte dei partner", en="Partner offers"),
    "partner.": Text(it="Dati dei partner", en="Partner details"),
}
register_labels(
    "audit_action",
    {
        "ledger.entry": Text(it="Movimento registrato", en="Entry posted"),
        "period.close": Text(it="Mese chiuso", en="Month closed"),
        "period.reopen": Text(it="Mese riaperto", en="Month reopened"),
        "clearing.paid": Text(it="Trasferimento tra reti pagato", en="Clearing transfer paid"),
        "partner_settlement.approved": Text(it="Regolamento partner approvato", en="Partner settlement approved"),
        "partner_settlement.paid": Text(it="Regolamento partner pagato", en="Partner settlement paid"),
        "reconciliation.exception_resolved": Text(it="Eccezione risolta", en="Exception resolved"),
        "staff.create": Text(it="Utente del personale creato", en="Staff user created"),
        "staff.deactivate": Text(it="Utente del personale disattivato", en="Staff user deactivated"),
        "fee.charge": Text(it="Addebito registrato", en="Fee charged"),
        "fee.waive": Text(it="Addebito annullato", en="Fee waived"),
        "agreement.create": Text(it="Convenzione creata", en="Agreement created"),
        "agreement.revoke": Text(it="Convenzione revocata", en="Agreement revoked"),
        "offer.create": Text(it="Offerta creata", en="Offer created"),
        "offer.revoke": Text(it="Offerta revocata", en="Offer revoked"),
        "partner.update": Text(it="Dati del partner modificati", en="Partner details changed"),
    },
)
# The trial balance's "kind" column: one label per ``backend.ledger.models.ACCOUNT_KINDS`` (a test checks
# none is missing), and ``shared`` for the network's part of the accounts shared by every network.
register_labels(
    "account_kind",
    {
        "wallet": Text(it="Borsellini degli utenti", en="Patrons' wallets"),
        "card_clearing": Text(it="Incassi con carta da ricevere", en="Card payments in clearing"),
        "pagopa_clearing": Text(it="Incassi pagoPA in transito", en="pagoPA payments in transit"),
        "bank_refunds_payable": Text(it="Rimborsi pagoPA da bonificare", en="pagoPA refunds owed by bank transfer"),
        "cash_drawer": Text(it="Cassa dello sportello", en="Desk cash drawer"),
        "cash_over_short": Text(it="Differenze di cassa", en="Cash over/short"),
        "fee_income": Text(it="Entrate da addebiti", en="Fee income"),
        "ticket_income": Text(it="Entrate da biglietti", en="Ticket income"),
        "campaign_fund": Text(it="Fondo della campagna +Teca", en="+Teca campaign fund"),
        "donation_income": Text(it="Entrate da donazioni", en="Donation income"),
        "partner_payable": Text(it="Debiti verso i partner", en="Owed to partners"),
        "partner_reimbursements": Text(it="Rimborsi ai partner (costo)", en="Partner reimbursements (expense)"),
        "network_settlement": Text(it="Posizione verso le altre reti", en="Position towards other networks"),
        "network_clearing": Text(it="Compensazione tra reti", en="Clearing between networks"),
        "adjustments": Text(it="Rettifiche e accrediti di cortesia", en="Adjustments and goodwill credits"),
        "chargebacks": Text(it="Contestazioni carta perse", en="Card disputes lost"),
        "kit_deposits": Text(it="Cauzioni dei kit culturali", en="Cultural kit deposits"),
        "bank": Text(it="Conto in banca", en="Bank account"),
        "card_fees": Text(it="Commissioni sulle carte", en="Card fees"),
        "card_adjustments": Text(it="Rettifiche del circuito carte", en="Card processor adjustments"),
        "reconciliation_differences": Text(it="Differenze di riconciliazione", en="Reconciliation differences"),
        "cash_in_transit": Text(it="Contanti in versamento", en="Cash in transit"),
        "commission_income": Text(it="Entrate da commissioni", en="Commission income"),
        "shop_income": Text(it="Entrate del negozio", en="Shop income"),
        "printing_credit": Text(it="Credito di stampa degli utenti", en="Patrons' printing credit"),
        "shared": Text(it="Contropartita nei conti condivisi", en="Counterpart in the shared accounts"),
    },
)
register_labels(
    "audit_channel",
    {
        "api": Text(it="App/API", en="App/API"),
        "console": Text(it="Console", en="Console"),
        "cli": Text(it="Riga di comando", en="Command line"),
    },
)


def _page(template: str, status: int = 200, **context):
    lang = language()
    return (
        render(
            template,
            money=lambda value: value.format(lang) if isinstance(value, Money) else Money(value).format(lang),
            **context,
        ),
        status,
    )


def _error(refused: DomainError) -> str:
    return refused.body(language())["error"]["message"]


def _ended_months(count: int = 12) -> list[str]:
    months, start = [], month_bounds(month_of(utcnow()))[0]
    for _ in range(count):
        start = month_bounds(month_of(start - timedelta(days=1)))[0]
        months.append(month_of(start))
    return months


def _notice() -> str | None:
    text = T.get(request.args.get("notice", ""))
    return text.render(language()) if text else None


@bp.route("/finance")
@staff_page(*FINANCE)
def finance_index(*, error: str | None = None, status: int = 200):
    principal = console_principal()
    months = _ended_months()
    chosen = request.args.get("month") or months[0]
    if chosen not in months:
        chosen = months[0]
    return _page(
        "console/finance/index.html",
        status,
        closes=periods.list_closes(db.session, principal),
        months=months,
        chosen=chosen,
        reports=[(name, REPORT_LABELS[name]) for name in reports.REPORTS],
        monitor=psd2.monitor(db.session, principal),
        is_admin=principal.role == "admin",
        notice=_notice(),
        error=error,
    )


@bp.route("/finance/periods", methods=["POST"])
@staff_page(*FINANCE)
def finance_close_period():
    month = request.form.get("month", "")
    try:
        periods.close_period(db.session, console_principal(), periods.parse_month(month))
    except DomainError as refused:
        db.session.rollback()
        return finance_index(error=_error(refused), status=refused.error.status)
    return redirect(url_for("console.finance_period", month=month, notice="closed"))


@bp.route("/finance/periods/<month>")
@staff_page(*FINANCE)
def finance_period(month, *, error: str | None = None, status: int = 200):
    try:
        period = periods.get_close(db.session, console_principal(), month)
    except DomainError:
        return render("console/message.html", message=T["not_found"]), 404
    return _page(
        "console/finance/period.html",
        status,
        period=present_period_detail(db.session, period),
        is_admin=console_principal().role == "admin",
        notice=_notice(),
        error=error,
    )


@bp.route("/finance/periods/<month>/reopen", methods=["POST"])
@staff_page("admin")
def finance_reopen_period(month):
    try:
        periods.reopen_period(
            db.session, console_principal(), periods.parse_month(month), reason=request.form.get("reason", "").strip()
        )
    except DomainError as refused:
        db.session.rollback()
        return finance_period(month, error=_error(refused), status=refused.error.status)
    return redirect(url_for("console.finance_period", month=month, notice="reopened"))


@bp.route("/finance/reports/<month>/<report>.<fmt>")
@staff_page(*FINANCE)
def finance_download(month, report, fmt):
    if fmt not in exports.FORMATS:
        return render("console/message.html", message=T["not_found"]), 404
    try:
        table, network = reports.report_for(db.session, console_principal(), month, report)
    except DomainError:
        return render("console/message.html", message=T["not_found"]), 404
    response = Response(exports.render(table, fmt, language()), mimetype=exports.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(table, network.code, month, fmt)}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/finance/clearing")
@staff_page(*FINANCE)
def finance_clearing(*, error: str | None = None, status: int = 200):
    principal = console_principal()
    return _page(
        "console/finance/clearing.html",
        status,
        statements=clearing.list_statements(db.session, principal),
        months=_ended_months(),
        error=error,
    )


@bp.route("/finance/clearing", methods=["POST"])
@staff_page(*FINANCE)
def finance_draw_up():
    month = request.form.get("month", "")
    try:
        clearing.draw_up(db.session, console_principal(), month)
    except DomainError as refused:
        db.session.rollback()
        return finance_clearing(error=_error(refused), status=refused.error.status)
    return redirect(url_for("console.finance_statement", month=month))


@bp.route("/finance/clearing/<month>")
@staff_page(*FINANCE)
def finance_statement(month, *, error: str | None = None, status: int = 200):
    principal = console_principal()
    try:
        statement = clearing.get_statement(db.session, principal, month)
    except DomainError:
        return render("console/message.html", message=T["not_found"]), 404
    network = periods.network_of(db.session, principal)
    return _page(
        "console/finance/statement.html",
        status,
        statement=present_statement(db.session, statement, network),
        mine=network.public_id,
        notice=_notice(),
        error=error,
    )


@bp.route("/finance/clearing/transfers/<transfer_id>/paid", methods=["POST"])
@staff_page(*FINANCE)
def finance_transfer_paid(transfer_id):
    month = request.form.get("month", "")
    reference = request.form.get("bank_reference", "").strip()
    try:
        if not 3 <= len(reference) <= 140:
            raise DomainError(BANK_REFERENCE_REQUIRED, param="bank_reference")
        clearing.mark_paid(db.session, console_principal(), transfer_id, bank_reference=reference)
    except DomainError as refused:
        db.session.rollback()
        return finance_statement(month, error=_error(refused), status=refused.error.status)
    return redirect(url_for("console.finance_statement", month=month, notice="paid"))


# --- the staff audit trail (read-only) -------------------------------------------------------


def _rome_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), ROME).astimezone(UTC)


def _months_between(first: date, last: date) -> list[str]:
    months, cursor = [], first.replace(day=1)
    while cursor <= last and len(months) < 12:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


@bp.route("/finance/audit")
@staff_page(*FINANCE)
def finance_audit():
    """Who did what, when: filtered by person, kind of action and days (Europe/Rome); never edited here."""
    principal = console_principal()
    network = periods.network_of(db.session, principal)
    args = request.args
    actor = args.get("actor", "").strip() or None
    action = args.get("action", "")
    action = action if action in AUDIT_GROUPS else None
    try:
        day_from = date.fromisoformat(args["from"]) if args.get("from") else None
        day_to = date.fromisoformat(args["to"]) if args.get("to") else None
    except ValueError:
        day_from = day_to = None
        valid = False
    else:
        valid = not (day_from and day_to and day_from > day_to)
    if not valid:
        return render("console/message.html", message=T["bad_filter"]), 400
    staff = list(
        db.session.scalars(select(StaffUser).where(StaffUser.network_id == network.id).order_by(StaffUser.name))
    )
    stmt = audit.events_for(
        db.session,
        network.id,
        action=action,
        actor=actor,
        since=_rome_midnight(day_from) if day_from else None,
        until=_rome_midnight(day_to + timedelta(days=1)) if day_to else None,
    )
    try:
        page = paginate(db.session, stmt, StaffAuditEvent, limit=50, starting_after=args.get("after") or None)
    except DomainError:
        return render("console/message.html", message=T["bad_filter"]), 400
    today = utcnow().astimezone(ROME).date()
    last = min(day_to or today, today)
    first = day_from or (last.replace(day=1) - timedelta(days=1)).replace(day=1)
    return _page(
        "console/finance/audit.html",
        events=page.data,
        next_cursor=page.next_cursor,
        staff=staff,
        names={person.public_id: person.name for person in staff},
        groups=AUDIT_GROUPS,
        chosen={"actor": actor or "", "action": action or "", "from": args.get("from", ""), "to": args.get("to", "")},
        export_months=list(reversed(_months_between(first, last))) if first <= last else [],
    )
