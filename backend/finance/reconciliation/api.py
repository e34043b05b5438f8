"""HTTP layer of reconciliation: payout runs and their exceptions, cash by day and deposits,
partner settlements (finance and admins of the network)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from backend.finance.reconciliation import cash, pagopa_flows, services, settlements, stripe_payouts
from backend.finance.reconciliation.models import CashDeposit, ReconciliationItem, ReconciliationRun
from backend.finance.reconciliation.schemas import (
    CashDayArgs,
    CashDaySchema,
    DepositCreateSchema,
    DepositListArgs,
    DepositSchema,
    HandoverCreateSchema,
    HandoverListSchema,
    MarkPaidSchema,
    ReconciliationItemListArgs,
    ReconciliationItemSchema,
    ReconciliationRunListArgs,
    ReconciliationRunSchema,
    ResolveExceptionSchema,
    SettlementComputeSchema,
    SettlementListArgs,
    SettlementListSchema,
    SettlementSchema,
)
from backend.pagination import page_schema, paginate
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, require_principal
from backend.web.settings import current_settings

blp = Blueprint(
    "finance_reconciliation",
    __name__,
    url_prefix="/v1/finance/reconciliation",
    description="Reconciliation of card payouts, cash deposits and partner settlements (finance staff)",
)

FINANCE = ("finance", "admin")


@blp.record_once
def _settings_for_webhooks(state):
    # The payout webhook handler gets a session only: it reads the settings from the session's info.
    state.app.extensions["borsellino.db"].session_info[stripe_payouts.SETTINGS_INFO] = state.app.config["SETTINGS"]


@blp.route("/runs")
class Runs(MethodView):
    @allow(*FINANCE)
    @blp.arguments(ReconciliationRunListArgs, location="query")
    @blp.response(200, page_schema(ReconciliationRunSchema))
    def get(self, args):
        """Reconciliation runs of my network (one per card payout), newest first."""
        stmt = services.runs_query(
            db.session, require_principal(), status=args.get("status"), source=args.get("source")
        )
        return paginate(db.session, stmt, ReconciliationRun, limit=args["limit"], starting_after=args["starting_after"])


@blp.route("/pagopa-flows")
class PagopaFlows(MethodView):
    @allow(*FINANCE)
    @blp.doc(
        requestBody={
            "required": True,
            "description": "A PSP's reporting flow (FlussoRiversamento XML) for my network's creditor body",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    )
    @blp.response(201, ReconciliationRunSchema)
    def post(self):
        """Ingest a pagoPA reporting flow: its run, matched to our receipts by IUV (again: the same run)."""
        return pagopa_flows.ingest_flow(db.session, current_settings(), require_principal(), request.get_data())


add_error_responses(PagopaFlows.post, 400, 422)


@blp.route("/runs/<run_id>")
class RunById(MethodView):
    @allow(*FINANCE)
    @blp.response(200, ReconciliationRunSchema)
    def get(self, run_id):
        """One run with its counts: matched, exceptions, still open."""
        return services.run_in_scope(db.session, require_principal(), run_id)


add_error_responses(RunById.get, 404)


@blp.route("/runs/<run_id>/rerun")
class RunAgain(MethodView):
    @allow(*FINANCE)
    @blp.response(200, ReconciliationRunSchema)
    def post(self, run_id):
        """Match the run again against the ledger as it is now.

        Idempotent: matched and resolved items stay as they are, open exceptions
        are recomputed, nothing is booked twice.
        """
        return services.rerun(
            db.session, require_principal(), run_id, tolerance=current_settings().reconciliation_tolerance
        )


add_error_responses(RunAgain.post, 404)


@blp.route("/runs/<run_id>/items")
class RunItems(MethodView):
    @allow(*FINANCE)
    @blp.arguments(ReconciliationItemListArgs, location="query")
    @blp.response(200, page_schema(ReconciliationItemSchema))
    def get(self, args, run_id):
        """The run's items: matches and exceptions (amount differences, missing, unexpected)."""
        run = services.run_in_scope(db.session, require_principal(), run_id)
        stmt = services.items_query(run, exceptions_only=args["exceptions_only"], status=args.get("status"))
        return paginate(
            db.session,
            stmt,
            ReconciliationItem,
            limit=args["limit"],
            starting_after=args["starting_after"],
            descending=False,
        )


add_error_responses(RunItems.get, 404)


@blp.route("/runs/<run_id>/items/<item_id>/resolve")
class ResolveItem(MethodView):
    @allow(*FINANCE)
    @blp.arguments(ResolveExceptionSchema)
    @blp.response(200, ReconciliationItemSchema)
    def post(self, data, run_id, item_id):
        """Resolve an open exception with a note (who, when and the note are kept for good)."""
        return services.resolve_item(db.session, require_principal(), run_id, item_id, data["note"])


add_error_responses(ResolveItem.post, 404, 409)


@blp.route("/cash/days")
class CashDay(MethodView):
    @allow(*FINANCE)
    @blp.arguments(CashDayArgs, location="query")
    @blp.response(200, CashDaySchema)
    def get(self, args):
        """One day's cash per library (Europe/Rome): every desk session's expected, counted and
        difference, what each hands to the bank, and the cash in transit now."""
        libraries = cash.cash_day(db.session, require_principal(), args["day"], args.get("library_id"))
        return {"day": args["day"], "libraries": libraries}


add_error_responses(CashDay.get, 404)


@blp.route("/cash/handovers")
class CashHandovers(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(HandoverCreateSchema)
    @blp.response(201, HandoverListSchema)
    def post(self, data):
        """Closed sessions' cash leaves the drawers for the bank: it is in transit until deposited."""
        return {"data": cash.hand_over(db.session, require_principal(), data["session_ids"])}


add_error_responses(CashHandovers.post, 404, 409, 422)


@blp.route("/cash/deposits")
class CashDeposits(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(DepositCreateSchema)
    @blp.response(201, DepositSchema)
    def post(self, data):
        """Record a bank deposit slip and the closed sessions whose cash it carries.

        In transit → bank; a slip for another amount than the sessions carry books the
        difference to the library's cash over/short (shown as `difference`).
        """
        return cash.record_deposit(db.session, require_principal(), **data)

    @allow(*FINANCE)
    @blp.arguments(DepositListArgs, location="query")
    @blp.response(200, page_schema(DepositSchema))
    def get(self, args):
        """Bank deposits of cash of my network, newest first."""
        stmt = cash.deposits_query(db.session, require_principal(), args.get("library_id"))
        page = paginate(db.session, stmt, CashDeposit, limit=args["limit"], starting_after=args["starting_after"])
        page.data = cash.with_sessions(db.session, page.data)
        return page


add_error_responses(CashDeposits.post, 404, 409, 422)
add_error_responses(CashDeposits.get, 404)


@blp.route("/partner-settlements")
class PartnerSettlements(MethodView):
    @allow(*FINANCE)
    @blp.arguments(SettlementComputeSchema)
    @blp.response(200, SettlementListSchema)
    def post(self, data):
        """Compute (again) the month's drafts: what my network owes each partner.

        Reimbursements within the budget cap, plus wallet payments at the till, less
        refunds and the network's commission. Approved and paid settlements stay as they are.
        A month whose refunds exceed what it owes transfers nothing: the rest is carried
        forward and netted in the partner's next settlement (compute months in order).
        """
        data = settlements.compute_month(
            db.session, require_principal(), data["month"], commission_bp=current_settings().partner_commission_bp
        )
        return {"data": data}

    @allow(*FINANCE)
    @blp.arguments(SettlementListArgs, location="query")
    @blp.response(200, SettlementListSchema)
    def get(self, args):
        """My network's partner settlements (of one month, or all), newest month first."""
        return {"data": settlements.list_month(db.session, require_principal(), args.get("month"))}


add_error_responses(PartnerSettlements.post, 404, 409, 422)


@blp.route("/partner-settlements/<settlement_id>/approve")
class ApproveSettlement(MethodView):
    @allow(*FINANCE)
    @blp.response(200, SettlementSchema)
    def post(self, settlement_id):
        """Approve a draft settlement (it is then fixed)."""
        return settlements.approve(db.session, require_principal(), settlement_id)


add_error_responses(ApproveSettlement.post, 404, 409)


@blp.route("/partner-settlements/<settlement_id>/paid")
class PaySettlement(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(MarkPaidSchema)
    @blp.response(200, SettlementSchema)
    def post(self, data, settlement_id):
        """Mark an approved settlement paid with the bank transfer's reference (booked in the ledger)."""
        return settlements.mark_paid(db.session, require_principal(), settlement_id, data["transfer_reference"])


add_error_responses(PaySettlement.post, 404, 409)

blueprints = [blp]
