"""HTTP layer of finance (``/v1/finance``): period close, reports, clearing between networks, audit trail.

For finance staff and admins of a network, always scoped to the caller's network. The
reconciliation endpoints are in ``backend.finance.reconciliation.api`` (their own blueprint).
"""

from __future__ import annotations

from flask import Response, jsonify
from flask.views import MethodView

from backend.finance import audit, clearing, exports, periods, psd2, reports
from backend.finance import schemas as s
from backend.finance.models import StaffAuditEvent
from backend.finance.present import (
    present_period,
    present_period_detail,
    present_report,
    present_statement,
    present_statement_summary,
    present_transfer,
)
from backend.i18n import normalize_language
from backend.pagination import page_schema, paginate
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.language import negotiate_language
from backend.web.policy import allow, require_principal

blp = Blueprint(
    "finance",
    __name__,
    url_prefix="/v1/finance",
    description="Finance: period close, reports and exports, clearing between networks, staff audit trail",
)

FINANCE = ("finance", "admin")
MONTH_PARAM = {
    "in": "path",
    "name": "month",
    "required": True,
    "description": "A calendar month in Europe/Rome, YYYY-MM",
    "schema": {"type": "string", "pattern": s.MONTH_PATTERN},
}
REPORT_PARAM = {
    "in": "path",
    "name": "report",
    "required": True,
    "description": "Which report",
    "schema": {"type": "string", "enum": list(s.REPORT_NAMES)},
}


@blp.route("/periods")
class Periods(MethodView):
    @allow(*FINANCE)
    @blp.response(200, s.ClosedPeriodListSchema)
    @blp.doc(summary="The network's closed (and reopened) months, newest first")
    def get(self):
        return {"data": [present_period(p) for p in periods.list_closes(db.session, require_principal())]}

    @allow(*FINANCE)
    @blp.arguments(s.FinanceMonthSchema)
    @blp.response(201, s.ClosedPeriodDetailSchema)
    @blp.doc(summary="Close a finished month: no posting may be dated inside it; its trial balance is stored")
    def post(self, data):
        period = periods.close_period(db.session, require_principal(), data["month"])
        return present_period_detail(db.session, period)


add_error_responses(Periods.post, 409, 422)


@blp.route("/periods/<month>", parameters=[MONTH_PARAM])
class PeriodDetail(MethodView):
    @allow(*FINANCE)
    @blp.response(200, s.ClosedPeriodDetailSchema)
    @blp.doc(summary="A month's latest close with the trial balance stored at closing")
    def get(self, month):
        return present_period_detail(db.session, periods.get_close(db.session, require_principal(), month))


add_error_responses(PeriodDetail.get, 400, 404)


@blp.route("/periods/<month>/reopen", parameters=[MONTH_PARAM])
class ReopenPeriod(MethodView):
    @allow("admin")
    @blp.arguments(s.ReopenPeriodSchema)
    @blp.response(200, s.ClosedPeriodDetailSchema)
    @blp.doc(summary="Reopen a closed month (admins only; audited with the reason)")
    def post(self, data, month):
        period = periods.reopen_period(
            db.session, require_principal(), periods.parse_month(month), reason=data["reason"]
        )
        return present_period_detail(db.session, period)


add_error_responses(ReopenPeriod.post, 400, 422)


@blp.route("/clearing")
class Clearing(MethodView):
    @allow(*FINANCE)
    @blp.response(200, s.ClearingStatementListSchema)
    @blp.doc(summary="Monthly clearing statements between networks, newest first")
    def get(self):
        statements = clearing.list_statements(db.session, require_principal())
        return {"data": [present_statement_summary(st) for st in statements]}

    @allow(*FINANCE)
    @blp.arguments(s.FinanceMonthSchema)
    @blp.response(200, s.ClearingStatementSchema)
    @blp.doc(
        summary="Draw up a finished month's clearing statement (positions at its end, netted transfers); "
        "the same statement once drawn up"
    )
    def post(self, data):
        principal = require_principal()
        statement = clearing.draw_up(db.session, principal, data["month"])
        return present_statement(db.session, statement, periods.network_of(db.session, principal))


add_error_responses(Clearing.post, 422)


@blp.route("/clearing/<month>", parameters=[MONTH_PARAM])
class ClearingDetail(MethodView):
    @allow(*FINANCE)
    @blp.response(200, s.ClearingStatementSchema)
    @blp.doc(summary="A month's clearing statement: every network's position and the transfers that settle them")
    def get(self, month):
        principal = require_principal()
        statement = clearing.get_statement(db.session, principal, month)
        return present_statement(db.session, statement, periods.network_of(db.session, principal))


add_error_responses(ClearingDetail.get, 400, 404)


@blp.route("/clearing/transfers/<transfer_id>/paid")
class TransferPaid(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(s.ClearingTransferInSchema)
    @blp.response(200, s.ClearingTransferSchema)
    @blp.doc(summary="Mark a transfer my network sent as paid, with the bank reference: booked in the ledger")
    def post(self, data, transfer_id):
        transfer = clearing.mark_paid(
            db.session, require_principal(), transfer_id, bank_reference=data["bank_reference"]
        )
        return present_transfer(db.session, transfer)


add_error_responses(TransferPaid.post, 404, 409)


REPORT_RESPONSES = {
    200: {
        "description": "The report: JSON, or a file in the format asked for",
        "content": {
            "application/json": {"schema": s.FinanceReportSchema},
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    },
}


@blp.route("/reports/<month>/<report>", parameters=[MONTH_PARAM, REPORT_PARAM])
class Report(MethodView):
    @allow(*FINANCE)
    @blp.arguments(s.FinanceReportArgsSchema, location="query")
    @blp.doc(
        summary="A month's report of my network (trial_balance, wallet_float, income, card_fees, "
        "cash_over_short, journal, treasury, audit, campaign_closings, art_bonus) as JSON, CSV or XLSX",
        responses=REPORT_RESPONSES,
    )
    def get(self, args, month, report):
        principal = require_principal()
        table, network = reports.report_for(db.session, principal, month, report)
        language = normalize_language(args["lang"] or negotiate_language())
        if args["format"] == "json":
            return jsonify(present_report(table, month, language))
        body = exports.render(table, args["format"], language)
        response = Response(body, mimetype=exports.MEDIA_TYPES[args["format"]])
        name = exports.filename(table, network.code, month, args["format"])
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response


add_error_responses(Report.get, 400, 404)


@blp.route("/psd2")
class Psd2Monitor(MethodView):
    @allow(*FINANCE)
    @blp.response(200, s.Psd2MonitorSchema)
    @blp.doc(summary="PSD2 limited-network monitor: wallet payments over the last 12 months against 1,000,000 €")
    def get(self):
        return psd2.monitor(db.session, require_principal())


@blp.route("/audit")
class AuditTrail(MethodView):
    @allow(*FINANCE)
    @blp.arguments(s.AuditArgsSchema, location="query")
    @blp.response(200, page_schema(s.AuditEventSchema))
    @blp.doc(
        summary="The staff audit trail of my network, newest first: who changed money or rights, when, how "
        "(filters: action, actor, created_from, created_to)"
    )
    def get(self, args):
        network = periods.network_of(db.session, require_principal())
        stmt = audit.events_for(
            db.session,
            network.id,
            action=args["action"],
            actor=args["actor"],
            since=args["created_from"],
            until=args["created_to"],
        )
        return paginate(db.session, stmt, StaffAuditEvent, limit=args["limit"], starting_after=args["starting_after"])


add_error_responses(AuditTrail.get, 400)

blueprints = (blp,)
