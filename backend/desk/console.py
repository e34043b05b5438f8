"""Console pages of the cash desk: open a session, cash top-up, payout, close, report, receipts.

The same services as the API (``backend.desk.services``), so the same rules:
librarians of the desk's library (admins of its network), one open session
per desk, a closed session accepts nothing. A refused operation renders the
page again with the reason and a 4xx status, so the unit of work rolls back.

Money forms carry a one-time ``form_key`` used as the idempotency key: a
double click or a browser resubmission books the operation once.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from sqlalchemy import select

from backend.console.access import bp, console_person, console_principal, language, register_link, render, staff_page
from backend.console.forms import claim_form, new_form_key, parse_amount
from backend.console.labels import register_labels
from backend.desk import services
from backend.desk.models import CashSession, DeskOperation
from backend.errors import DomainError
from backend.i18n import Text
from backend.money import Money
from backend.receipts.http import receipt_response
from backend.receipts.models import Receipt
from backend.web.database import db
from backend.web.settings import current_settings

STAFF = ("librarian", "admin")

T = {
    "opened": Text(it="Sessione aperta.", en="Session opened."),
    "topup_done": Text(
        it="Ricarica di {amount} registrata: ricevuta {number}.", en="Top-up of {amount} recorded: receipt {number}."
    ),
    "payout_done": Text(
        it="Restituiti {amount} in contanti: ricevuta {number}.", en="{amount} paid out in cash: receipt {number}."
    ),
    "closed": Text(it="Sessione chiusa.", en="Session closed."),
    "replayed": Text(
        it="Questo modulo era già stato inviato: nulla è stato ripetuto. Controlla le operazioni qui sotto.",
        en="This form was already sent: nothing was done twice. Check the operations below.",
    ),
    "not_found": Text(
        it="Non trovato, o non è di una tua biblioteca.", en="Not found, or not in one of your libraries."
    ),
}

register_link("console.desk_index", Text(it="Cassa", en="Cash desk"), *STAFF)
register_labels(
    "desk_operation",
    {
        "cash_topup": Text(it="Ricarica in contanti", en="Cash top-up"),
        "cash_payout": Text(it="Restituzione in contanti", en="Cash payout"),
        "shop_sale": Text(it="Vendita in biblioteca", en="Library shop sale"),
        "shop_refund": Text(it="Rimborso di una vendita", en="Library shop refund"),
    },
)
register_labels("payment_method", {"cash": Text(it="Contanti", en="Cash")})


def _error_text(refused: DomainError) -> str:
    return refused.body(language())["error"]["message"]


def _session_page(cash_session: CashSession, *, notice: str | None = None, error: str | None = None, status: int = 200):
    if error:
        db.session.rollback()  # show the session as it is, without the refused operation's partial writes
    totals = services.totals(db.session, cash_session)
    operations = db.session.scalars(
        services.operations_of(db.session, cash_session).order_by(DeskOperation.id.desc()).limit(200)
    ).all()
    receipts = {
        r.id: r
        for r in db.session.scalars(
            select(Receipt).where(Receipt.id.in_([op.receipt_id for op in operations if op.receipt_id]))
        )
    }
    return render(
        "console/desk/session.html",
        cs=cash_session,
        totals=totals,
        operations=operations,
        receipts=receipts,
        notice=notice,
        error=error,
        form_key=new_form_key(),
        money=lambda cents: Money(cents or 0, cash_session.currency).format(language()),
        form=request.form if error else {},
    ), status


def _in_scope_session(session_id: str) -> CashSession:
    return services.cash_session_in_scope(db.session, console_principal(), session_id)


def _not_found():
    return render("console/message.html", message=T["not_found"]), 404


@bp.route("/desk")
@staff_page(*STAFF)
def desk_index():
    desks = services.desks_in_scope(db.session, console_principal())
    return _index_page(desks)


def _index_page(desks, *, error: str | None = None, status: int = 200):
    if error:
        db.session.rollback()
    open_sessions = services.open_session_ids(db.session, desks)
    return render(
        "console/desk/index.html", desks=desks, open_sessions=open_sessions, form_key=new_form_key(), error=error
    ), status


@bp.route("/desk/<desk_id>/open", methods=["POST"])
@staff_page(*STAFF)
def desk_open(desk_id):
    try:
        desk = services.desk_in_scope(db.session, console_principal(), desk_id)
    except DomainError:
        return _not_found()
    try:
        opening_float = parse_amount(request.form.get("opening_float", ""), allow_zero=True)
        if not claim_form():
            return redirect(url_for("console.desk_index"))
        opened = services.open_session(db.session, desk, console_person(), opening_float)
    except DomainError as refused:
        return _index_page(
            services.desks_in_scope(db.session, console_principal()),
            error=_error_text(refused),
            status=refused.error.status,
        )
    return redirect(url_for("console.desk_session", session_id=opened.public_id, notice="opened"))


@bp.route("/desk/sessions/<session_id>")
@staff_page(*STAFF)
def desk_session(session_id):
    try:
        cash_session = _in_scope_session(session_id)
    except DomainError:
        return _not_found()
    notice = request.args.get("notice")
    text = {"opened": T["opened"], "closed": T["closed"], "replayed": T["replayed"]}.get(notice)
    done = request.args.get("done")
    if done:
        op = db.session.scalar(
            select(DeskOperation).where(DeskOperation.public_id == done, DeskOperation.session_id == cash_session.id)
        )
        if op is not None:
            receipt = db.session.get(Receipt, op.receipt_id)
            key = "topup_done" if op.kind == "cash_topup" else "payout_done"
            return _session_page(
                cash_session,
                notice=T[key].render(
                    language(), amount=Money(op.amount, op.currency).format(language()), number=receipt.number
                ),
            )
    return _session_page(cash_session, notice=text.render(language()) if text else None)


def _operate(session_id: str, operation):
    try:
        cash_session = _in_scope_session(session_id)
    except DomainError:
        return _not_found()
    try:
        money = parse_amount(request.form.get("amount", ""))
        patron = services.find_patron(
            db.session,
            current_settings(),
            card_number=request.form.get("card_number", "").strip() or None,
            membership_code=request.form.get("membership_code", "").strip() or None,
        )
        if not claim_form():
            return redirect(url_for("console.desk_session", session_id=session_id, notice="replayed"))
        done = operation(cash_session, patron, money)
    except DomainError as refused:
        return _session_page(cash_session, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.desk_session", session_id=session_id, done=done.operation.public_id))


@bp.route("/desk/sessions/<session_id>/topup", methods=["POST"])
@staff_page(*STAFF)
def desk_topup(session_id):
    settings = current_settings()
    return _operate(
        session_id,
        lambda cs, patron, money: services.cash_topup(db.session, settings, cs, console_person(), patron, money),
    )


@bp.route("/desk/sessions/<session_id>/payout", methods=["POST"])
@staff_page(*STAFF)
def desk_payout(session_id):
    return _operate(
        session_id, lambda cs, patron, money: services.cash_payout(db.session, cs, console_person(), patron, money)
    )


@bp.route("/desk/sessions/<session_id>/close", methods=["POST"])
@staff_page(*STAFF)
def desk_close(session_id):
    try:
        cash_session = _in_scope_session(session_id)
    except DomainError:
        return _not_found()
    try:
        counted = parse_amount(request.form.get("counted", ""), allow_zero=True)
        if not claim_form():
            return redirect(url_for("console.desk_session", session_id=session_id, notice="replayed"))
        services.close_session(
            db.session, cash_session, console_person(), counted, request.form.get("note", "").strip()
        )
    except DomainError as refused:
        return _session_page(cash_session, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.desk_session", session_id=session_id, notice="closed"))


@bp.route("/desk/receipts/<receipt_id>")
@staff_page(*STAFF)
def desk_receipt(receipt_id):
    try:
        receipt = services.receipt_in_scope(db.session, console_principal(), receipt_id)
    except DomainError:
        return _not_found()
    fmt = "pdf" if request.args.get("format") == "pdf" else "html"
    lang = request.args.get("lang") if request.args.get("lang") in ("it", "en") else language()
    return receipt_response(receipt, {"format": fmt, "lang": lang})
