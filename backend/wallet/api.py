"""HTTP layer of the patron's wallet (``/v1/wallet``)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.ledger.models import JournalEntry
from backend.pagination import Page, page_schema, paginate
from backend.receipts.http import RECEIPT_RESPONSES, ReceiptFormatArgs, receipt_response
from backend.receipts.services import receipt_of_patron
from backend.wallet import schemas as s
from backend.wallet import services, statement
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.language import negotiate_language
from backend.web.policy import allow, current_person

blp = Blueprint(
    "wallet", __name__, url_prefix="/v1/wallet", description="My wallet: balance, transactions, monthly statements"
)


@blp.route("")
class Balance(MethodView):
    @allow("patron")
    @blp.response(200, s.BalanceSchema)
    @blp.doc(summary="My balance: total, held by pending holds, available")
    def get(self):
        return services.balance_of(db.session, current_person())


@blp.route("/transactions")
class Transactions(MethodView):
    @allow("patron")
    @blp.arguments(s.TransactionListArgsSchema, location="query")
    @blp.response(200, page_schema(s.TransactionSchema))
    @blp.doc(summary="My transactions, newest first (filters: kind, created_from, created_to)")
    def get(self, args):
        wallet = services.find_wallet(db.session, current_person())
        stmt = services.transactions_of(
            wallet, kind=args.get("kind"), created_from=args.get("created_from"), created_to=args.get("created_to")
        )
        page = paginate(db.session, stmt, JournalEntry, limit=args["limit"], starting_after=args["starting_after"])
        items = services.as_transactions(db.session, wallet, page.data, negotiate_language()) if wallet else []
        return Page(data=items, has_more=page.has_more, next_cursor=page.next_cursor)


@blp.route("/transactions/<transaction_id>")
class OneTransaction(MethodView):
    @allow("patron")
    @blp.response(200, s.TransactionDetailSchema)
    @blp.doc(summary="One of my transactions, with what it paid for")
    def get(self, transaction_id):
        return services.get_transaction(db.session, current_person(), transaction_id, negotiate_language())

    add_error_responses(get, 404)


@blp.route("/statements/<int:year>/<int:month>")
class MonthlyStatement(MethodView):
    @allow("patron")
    @blp.response(
        200, content_type="application/pdf", description="The statement of that month (Europe/Rome), in my language"
    )
    @blp.arguments(s.StatementPeriodSchema, location="path")
    @blp.doc(summary="My monthly statement as PDF, with opening and closing balance")
    def get(self, period, year, month):
        patron = current_person()
        data = statement.monthly_statement(db.session, patron, year, month)
        return Response(
            statement.render_pdf(data, patron),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="borsellino-{year:04d}-{month:02d}.pdf"'},
        )

    add_error_responses(get, 404)


@blp.route("/receipts/<receipt_id>")
class MyReceipt(MethodView):
    @allow("patron")
    @blp.arguments(ReceiptFormatArgs, location="query")
    @blp.doc(
        summary="One of my receipts (cash top-up or payout at a desk, card top-up) as HTML or PDF",
        description="Its id is in the transaction's `paid_for` (kind `receipt`).",
        responses=RECEIPT_RESPONSES,
    )
    def get(self, args, receipt_id):
        return receipt_response(receipt_of_patron(db.session, current_person(), receipt_id), args)

    add_error_responses(get, 404)


blueprints = (blp,)
