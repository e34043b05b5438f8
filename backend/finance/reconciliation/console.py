"""Console pages of reconciliation: payout runs with their exceptions and resolutions.

The same services as the API: finance and admins of the network, another
network's run is "not found". A refused form renders the page again with the
reason and a 4xx status, so the unit of work rolls back.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import redirect, request, url_for

from backend.console.access import bp, console_principal, language, register_link, render, staff_page
from backend.console.forms import claim_form, new_form_key, parse_amount
from backend.console.labels import register_labels
from backend.db import utcnow
from backend.errors import DomainError
from backend.finance.reconciliation import cash, services, settlements
from backend.finance.reconciliation.errors import TRANSFER_REFERENCE_REQUIRED
from backend.finance.reconciliation.models import CashDeposit, ReconciliationItem, ReconciliationRun
from backend.i18n import ROME, Text
from backend.money import Money
from backend.web.database import db
from backend.web.settings import current_settings

FINANCE = ("finance", "admin")
_MONTH = re.compile(r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")

T = {
    "title": Text(it="Riconciliazioni", en="Reconciliation"),
    "resolved": Text(it="Eccezione risolta.", en="Exception resolved."),
    "rerun": Text(
        it="Riconciliazione ripetuta: corrispondenze e risoluzioni restano come erano.",
        en="Matched again: matches and resolutions stay as they were.",
    ),
    "not_found": Text(it="Non trovato, o non è della tua rete.", en="Not found, or not of your network."),
    "bad_day": Text(it="Data non valida: usa AAAA-MM-GG.", en="Not a valid date: use YYYY-MM-DD."),
    "computed": Text(it="Regolamenti del mese calcolati.", en="The month's settlements are computed."),
    "approved": Text(it="Regolamento approvato.", en="Settlement approved."),
    "paid": Text(it="Regolamento segnato come pagato.", en="Settlement marked paid."),
    "handed_over": Text(
        it="Contanti consegnati per il versamento: restano in viaggio finché non registri la distinta.",
        en="Cash handed over for the bank: it stays in transit until you record the slip.",
    ),
    "deposited": Text(it="Versamento registrato.", en="Deposit recorded."),
    "choose_sessions": Text(
        it="Scegli almeno una sessione di cassa chiusa.", en="Choose at least one closed cash session."
    ),
    "slip_required": Text(
        it="Indica il numero della distinta (al più 60 caratteri).", en="Give the slip number (at most 60 characters)."
    ),
    "bad_deposit_day": Text(
        it="Data del versamento non valida: usa AAAA-MM-GG, non nel futuro.",
        en="Not a valid deposit date: use YYYY-MM-DD, not in the future.",
    ),
}

register_link("console.reconciliation_runs", T["title"], *FINANCE)
register_link("console.reconciliation_cash", Text(it="Contanti per giorno", en="Cash by day"), *FINANCE)
register_link("console.cash_deposits", Text(it="Versamenti in banca", en="Bank deposits"), *FINANCE)
register_link("console.partner_settlements", Text(it="Regolamenti partner", en="Partner settlements"), *FINANCE)
register_labels("cash_session_status", {"open": Text(it="Aperta", en="Open"), "closed": Text(it="Chiusa", en="Closed")})
register_labels(
    "settlement_status",
    {
        "draft": Text(it="Bozza", en="Draft"),
        "approved": Text(it="Approvato", en="Approved"),
        "paid": Text(it="Pagato", en="Paid"),
    },
)
register_labels(
    "reconciliation_run_status",
    {
        "open": Text(it="Eccezioni aperte", en="Open exceptions"),
        "reconciled": Text(it="Riconciliata", en="Reconciled"),
    },
)
register_labels(
    "reconciliation_outcome",
    {
        "matched": Text(it="Corrisponde", en="Matched"),
        "amount_difference": Text(it="Importo diverso", en="Amount differs"),
        "missing_external": Text(it="Manca nell'estratto", en="Missing from the statement"),
        "unexpected": Text(it="Non nostro", en="Not ours"),
    },
)
register_labels(
    "reconciliation_item_status",
    {
        "matched": Text(it="Corrisponde", en="Matched"),
        "open": Text(it="Aperta", en="Open"),
        "resolved": Text(it="Risolta", en="Resolved"),
    },
)
register_labels(
    "reconciliation_kind",
    {
        "payment": Text(it="Pagamento", en="Payment"),
        "refund": Text(it="Rimborso", en="Refund"),
        "dispute": Text(it="Contestazione", en="Dispute"),
        "fee": Text(it="Commissione", en="Fee"),
        "adjustment": Text(it="Rettifica", en="Adjustment"),
        "other": Text(it="Altro", en="Other"),
    },
)
register_labels("reconciliation_source", {"stripe": Text(it="Carte (Stripe)", en="Cards (Stripe)")})


def _page(template: str, status: int = 200, **context):
    lang = language()
    return render(
        template,
        money=lambda cents, currency="EUR": Money(cents, currency).format(lang),
        shown=lambda m: m.format(lang) if m is not None else "",
        form_key=new_form_key(),
        **context,
    ), status


@bp.route("/reconciliation")
@staff_page(*FINANCE)
def reconciliation_runs():
    stmt = services.runs_query(db.session, console_principal())
    runs = db.session.scalars(stmt.order_by(ReconciliationRun.id.desc()).limit(100)).all()
    return _page("console/reconciliation/runs.html", runs=runs)


def _run_page(run: ReconciliationRun, *, notice: str | None = None, error: str | None = None, status: int = 200):
    if error:
        db.session.rollback()
        db.session.refresh(run)
    items = db.session.scalars(services.items_query(run).order_by(ReconciliationItem.id)).all()
    exceptions = [i for i in items if i.outcome != "matched"]
    matched = [i for i in items if i.outcome == "matched"]
    return _page(
        "console/reconciliation/run.html",
        status,
        run=run,
        exceptions=exceptions,
        matched=matched,
        notice=notice,
        error=error,
    )


def _run_or_none(run_id: str) -> ReconciliationRun | None:
    try:
        return services.run_in_scope(db.session, console_principal(), run_id)
    except DomainError:
        return None


def _not_found():
    return render("console/message.html", message=T["not_found"]), 404


@bp.route("/reconciliation/<run_id>")
@staff_page(*FINANCE)
def reconciliation_run(run_id):
    run = _run_or_none(run_id)
    if run is None:
        return _not_found()
    text = T.get(request.args.get("notice", ""))
    return _run_page(run, notice=text.render(language()) if text else None)


@bp.route("/reconciliation/<run_id>/rerun", methods=["POST"])
@staff_page(*FINANCE)
def reconciliation_rerun(run_id):
    if _run_or_none(run_id) is None:
        return _not_found()
    services.rerun(db.session, console_principal(), run_id, tolerance=current_settings().reconciliation_tolerance)
    return redirect(url_for("console.reconciliation_run", run_id=run_id, notice="rerun"))


@bp.route("/reconciliation/<run_id>/items/<item_id>/resolve", methods=["POST"])
@staff_page(*FINANCE)
def reconciliation_resolve(run_id, item_id):
    run = _run_or_none(run_id)
    if run is None:
        return _not_found()
    try:
        services.resolve_item(db.session, console_principal(), run_id, item_id, request.form.get("note", ""))
    except DomainError as refused:
        return _run_page(run, error=refused.body(language())["error"]["message"], status=refused.error.status)
    return redirect(url_for("console.reconciliation_run", run_id=run_id, notice="resolved"))


@bp.route("/reconciliation/cash")
@staff_page(*FINANCE)
def reconciliation_cash():
    raw = request.args.get("day", "")
    try:
        day = date.fromisoformat(raw) if raw else utcnow().astimezone(ROME).date()
    except ValueError:
        return render("console/message.html", message=T["bad_day"]), 400
    libraries = cash.cash_day(db.session, console_principal(), day)
    return _page("console/reconciliation/cash.html", day=day, libraries=libraries)


def _previous_month() -> str:
    first = utcnow().astimezone(ROME).date().replace(day=1)
    last = first - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def _settlements_page(month: str, *, notice=None, error=None, status=200):
    if error:
        db.session.rollback()
    rows = settlements.list_month(db.session, console_principal(), month)
    return _page(
        "console/reconciliation/settlements.html", status, month=month, settlements=rows, notice=notice, error=error
    )


@bp.route("/partner-settlements")
@staff_page(*FINANCE)
def partner_settlements():
    month = request.args.get("month") or _previous_month()
    if not _MONTH.match(month):
        return render("console/message.html", message=T["bad_day"]), 400
    text = T.get(request.args.get("notice", ""))
    return _settlements_page(month, notice=text.render(language()) if text else None)


@bp.route("/partner-settlements/compute", methods=["POST"])
@staff_page(*FINANCE)
def partner_settlements_compute():
    month = request.form.get("month", "")
    if not _MONTH.match(month):
        return render("console/message.html", message=T["bad_day"]), 400
    try:
        settlements.compute_month(
            db.session, console_principal(), month, commission_bp=current_settings().partner_commission_bp
        )
    except DomainError as refused:
        return _settlements_page(month, error=refused.body(language())["error"]["message"], status=refused.error.status)
    return redirect(url_for("console.partner_settlements", month=month, notice="computed"))


@bp.route("/partner-settlements/<settlement_id>/<action>", methods=["POST"])
@staff_page(*FINANCE)
def partner_settlement_action(settlement_id, action):
    month = request.form.get("month", "")
    if action not in ("approve", "paid") or not _MONTH.match(month):
        return _not_found()
    if action == "paid" and not claim_form():
        return redirect(url_for("console.partner_settlements", month=month))
    try:
        if action == "approve":
            settlements.approve(db.session, console_principal(), settlement_id)
        else:
            reference = request.form.get("transfer_reference", "").strip()
            if not reference or len(reference) > 140:
                raise DomainError(TRANSFER_REFERENCE_REQUIRED, param="transfer_reference")
            settlements.mark_paid(db.session, console_principal(), settlement_id, reference)
    except DomainError as refused:
        return _settlements_page(month, error=refused.body(language())["error"]["message"], status=refused.error.status)
    return redirect(
        url_for("console.partner_settlements", month=month, notice="approved" if action == "approve" else "paid")
    )


# --- cash in transit: hand-over and bank deposit ------------------------------------------


class _Refused(Exception):
    def __init__(self, message: str, status: int = 400):
        self.message, self.status = message, status


def _deposits_page(library_id: str | None, *, notice=None, error=None, status=200, form=None):
    if error:
        db.session.rollback()
    principal = console_principal()
    libraries = cash.network_libraries(db.session, principal)
    library = next((lib for lib in libraries if lib.public_id == library_id), libraries[0] if libraries else None)
    if library_id and (library is None or library.public_id != library_id):
        return _not_found()
    pending = cash.undeposited_sessions(db.session, principal, library.public_id) if library else []
    stmt = cash.deposits_query(db.session, principal, library.public_id if library else None)
    deposits = cash.with_sessions(db.session, list(db.session.scalars(stmt.order_by(CashDeposit.id.desc()).limit(50))))
    return _page(
        "console/reconciliation/deposits.html",
        status,
        libraries=libraries,
        library=library,
        in_transit=cash.in_transit(db.session, principal, library.public_id) if library else None,
        pending=pending,
        deposits=deposits,
        today=utcnow().astimezone(ROME).date(),
        form=form or {},
        notice=notice,
        error=error,
    )


@bp.route("/reconciliation/deposits")
@staff_page(*FINANCE)
def cash_deposits():
    text = T.get(request.args.get("notice", ""))
    return _deposits_page(request.args.get("library_id"), notice=text.render(language()) if text else None)


def _chosen_sessions() -> list[str]:
    chosen = [sid.strip() for sid in request.form.getlist("session_ids") if sid.strip()]
    if not chosen or len(chosen) > 200:
        raise _Refused(T["choose_sessions"].render(language()))
    return chosen


@bp.route("/reconciliation/deposits/handover", methods=["POST"])
@staff_page(*FINANCE)
def cash_handover():
    library_id = request.form.get("library_id", "")
    try:
        chosen = _chosen_sessions()
        cash.hand_over(db.session, console_principal(), chosen)
    except _Refused as refused:
        return _deposits_page(library_id, error=refused.message, status=refused.status, form=request.form)
    except DomainError as refused:
        message = refused.body(language())["error"]["message"]
        return _deposits_page(library_id, error=message, status=refused.error.status, form=request.form)
    return redirect(url_for("console.cash_deposits", library_id=library_id, notice="handed_over"))


@bp.route("/reconciliation/deposits", methods=["POST"])
@staff_page(*FINANCE)
def cash_record_deposit():
    library_id = request.form.get("library_id", "")
    if not claim_form():  # a double click or a resubmitted form: the first one recorded it
        return redirect(url_for("console.cash_deposits", library_id=library_id))
    try:
        chosen = _chosen_sessions()
        slip = request.form.get("slip_number", "").strip()
        if not 1 <= len(slip) <= 60:
            raise _Refused(T["slip_required"].render(language()))
        try:
            day = date.fromisoformat(request.form.get("deposited_on", ""))
        except ValueError:
            raise _Refused(T["bad_deposit_day"].render(language())) from None
        if day > utcnow().astimezone(ROME).date():
            raise _Refused(T["bad_deposit_day"].render(language()))
        amount = parse_amount(request.form.get("amount", ""))
        cash.record_deposit(
            db.session,
            console_principal(),
            library_id=library_id,
            amount=amount,
            deposited_on=day,
            slip_number=slip,
            session_ids=chosen,
            note=request.form.get("note", "")[:500],
        )
    except _Refused as refused:
        return _deposits_page(library_id, error=refused.message, status=refused.status, form=request.form)
    except DomainError as refused:
        message = refused.body(language())["error"]["message"]
        return _deposits_page(library_id, error=message, status=refused.error.status, form=request.form)
    return redirect(url_for("console.cash_deposits", library_id=library_id, notice="deposited"))
