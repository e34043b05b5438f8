"""HTTP layer of the cash desk (librarians of the desk's library; admins of its network)."""

from __future__ import annotations

from flask.views import MethodView

from backend.desk import services
from backend.desk.models import DeskOperation
from backend.desk.schemas import (
    CashSessionSchema,
    CloseSessionSchema,
    DeskCreateSchema,
    DeskListSchema,
    DeskOperationSchema,
    DeskSchema,
    OpenSessionSchema,
    PatronCashSchema,
    PatronLookupArgs,
    PayableSchema,
    operation_body,
    session_body,
)
from backend.pagination import PageArgsSchema, page_schema, paginate
from backend.receipts.http import RECEIPT_RESPONSES, ReceiptFormatArgs, receipt_response
from backend.receipts.models import Receipt
from backend.wallet.services import balance_of
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, current_person, require_principal
from backend.web.settings import current_settings

blp = Blueprint("desk", __name__, url_prefix="/v1/desk", description="Library cash desks")

STAFF = ("librarian", "admin")


def _desk_bodies(desks):
    open_sessions = services.open_session_ids(db.session, desks)
    for desk in desks:
        desk.open_session_id = open_sessions.get(desk.id)
    return desks


@blp.route("/desks")
class Desks(MethodView):
    @allow(*STAFF)
    @blp.response(200, DeskListSchema)
    def get(self):
        """Desks of the libraries I work for, with their open session if any."""
        return {"data": _desk_bodies(services.desks_in_scope(db.session, require_principal()))}

    @allow(*STAFF)
    @blp.arguments(DeskCreateSchema)
    @blp.response(201, DeskSchema)
    def post(self, data):
        """Add a desk (cash register) to a library."""
        desk = services.create_desk(db.session, require_principal(), data["library_id"], data["name"])
        return _desk_bodies([desk])[0]


add_error_responses(Desks.post, 404)


@blp.route("/desks/<desk_id>/sessions")
class DeskSessions(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(OpenSessionSchema)
    @blp.response(201, CashSessionSchema)
    def post(self, data, desk_id):
        """Open a cash session with the counted float (one open session per desk)."""
        desk = services.desk_in_scope(db.session, require_principal(), desk_id)
        opened = services.open_session(db.session, desk, current_person(), data["opening_float"])
        return session_body(opened, services.totals(db.session, opened))


add_error_responses(DeskSessions.post, 404, 409)


@blp.route("/sessions/<session_id>")
class CashSessionById(MethodView):
    @allow(*STAFF)
    @blp.response(200, CashSessionSchema)
    def get(self, session_id):
        """The session and its report: totals by operation and method, expected and counted cash."""
        found = services.cash_session_in_scope(db.session, require_principal(), session_id)
        return session_body(found, services.totals(db.session, found))


add_error_responses(CashSessionById.get, 404)


@blp.route("/sessions/<session_id>/close")
class CloseSession(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(CloseSessionSchema)
    @blp.response(200, CashSessionSchema)
    def post(self, data, session_id):
        """Close with the counted cash; a difference is booked as surplus or deficit with the note."""
        found = services.cash_session_in_scope(db.session, require_principal(), session_id)
        closed = services.close_session(db.session, found, current_person(), data["counted"], data["note"])
        return session_body(closed, services.totals(db.session, closed))


add_error_responses(CloseSession.post, 404)


def _operate(session_id, data, operation):
    found = services.cash_session_in_scope(db.session, require_principal(), session_id)
    patron = services.find_patron(
        db.session, current_settings(), card_number=data.get("card_number"), membership_code=data.get("membership_code")
    )
    done = operation(found, patron, data["amount"])
    return operation_body(done.operation, done.receipt)


@blp.route("/sessions/<session_id>/topups")
class CashTopups(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(PatronCashSchema)
    @blp.response(201, DeskOperationSchema)
    def post(self, data, session_id):
        """Top up a patron's wallet with cash (patron by card number or membership QR)."""
        settings = current_settings()
        return _operate(
            session_id, data, lambda s, p, m: services.cash_topup(db.session, settings, s, current_person(), p, m)
        )


add_error_responses(CashTopups.post, 404)


@blp.route("/sessions/<session_id>/payouts")
class CashPayouts(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(PatronCashSchema)
    @blp.response(201, DeskOperationSchema)
    def post(self, data, session_id):
        """Pay out cash-funded balance (card-funded money goes back to the card from the app)."""
        return _operate(session_id, data, lambda s, p, m: services.cash_payout(db.session, s, current_person(), p, m))


add_error_responses(CashPayouts.post, 404)


@blp.route("/sessions/<session_id>/operations")
class SessionOperations(MethodView):
    @allow(*STAFF)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(DeskOperationSchema))
    def get(self, args, session_id):
        """Operations of a session, newest first."""
        found = services.cash_session_in_scope(db.session, require_principal(), session_id)
        page = paginate(db.session, services.operations_of(db.session, found), DeskOperation, **args)
        page.data = [operation_body(op, db.session.get(Receipt, op.receipt_id)) for op in page.data]
        return page


add_error_responses(SessionOperations.get, 404)


@blp.route("/patrons/lookup")
class PatronLookup(MethodView):
    @allow(*STAFF)
    @blp.arguments(PatronLookupArgs, location="query")
    @blp.response(200, PayableSchema)
    def get(self, args):
        """Find a patron by card or membership QR: balance, and how much can be paid out in cash."""
        patron = services.find_patron(
            db.session,
            current_settings(),
            card_number=args.get("card_number"),
            membership_code=args.get("membership_code"),
        )
        # A GET never writes: balance_of reads the wallet (none yet: zero), unlike wallet_of.
        return {
            "card_number": patron.card_number,
            "patron_name": patron.display_name,
            "balance": balance_of(db.session, patron).balance,
            "payable_in_cash": services.cash_payable(db.session, patron),
        }


add_error_responses(PatronLookup.get, 404, 422)


@blp.route("/receipts/<receipt_id>")
class DeskReceipt(MethodView):
    @allow(*STAFF)
    @blp.arguments(ReceiptFormatArgs, location="query")
    @blp.doc(responses=RECEIPT_RESPONSES)
    def get(self, args, receipt_id):
        """A desk receipt, as printable HTML or PDF (Italian or English)."""
        return receipt_response(services.receipt_in_scope(db.session, require_principal(), receipt_id), args)


add_error_responses(DeskReceipt.get, 404)

blueprints = [blp]
