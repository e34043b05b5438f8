"""Console pages of reconciliation: payout runs with their exceptions and resolutions.

The same services as the API: finance and admins of the network, another
network's run is "not found". A refused form renders the page again with the
reason and a 4xx status, so the unit of work rolls back.
"""

from __future__ import annotations

from flask import redirect, request, url_for

from backend.console.access import bp, console_principal, language, register_link, render, staff_page
from backend.console.labels import register_labels
from backend.errors import DomainError
from backend.finance.reconciliation import services
from backend.finance.reconciliation.models import ReconciliationItem, ReconciliationRun
from backend.i18n import Text
from backend.money import Money
from backend.web.database import db
from backend.web.settings import current_settings

FINANCE = ("finance", "admin")

T = {
    "title": Text(it="Riconciliazioni", en="Reconciliation"),
    "resolved": Text(it="Eccezione risolta.", en="Exception resolved."),
    "rerun": Text(
        it="Riconciliazione ripetuta: corrispondenze e risoluzioni restano come erano.",
        en="Matched again: matches and resolutions stay as they were.",
    ),
    "not_found": Text(it="Non trovato, o non è della tua rete.", en="Not found, or not of your network."),
}

register_link("console.reconciliation_runs", T["title"], *FINANCE)
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
    return render(template, money=lambda cents, currency="EUR": Money(cents, currency).format(lang), **context), status


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
