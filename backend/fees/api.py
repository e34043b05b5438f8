"""HTTP layer of library fees (``/v1/fees``): patrons see and pay their own fees,
staff charge, import, waive and list the fees of the libraries they act for."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from backend.accounts import patrons as patron_records
from backend.accounts import services as accounts
from backend.accounts.models import Library, Network
from backend.db import get_or_404
from backend.fees import schemas as s
from backend.fees import services
from backend.fees.models import Fee
from backend.pagination import PageArgsSchema, page_schema, paginate
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, require_principal

blp = Blueprint(
    "fees", __name__, url_prefix="/v1/fees", description="Library fees: charged by libraries, paid from the wallet"
)
STAFF = ("librarian", "admin")


def _caller():
    return accounts.person_of(db.session, require_principal())


def _network(principal) -> Network:
    network = get_or_404(db.session, Network, principal.network_id)
    return network


@blp.route("")
class Fees(MethodView):
    @allow("patron", *STAFF)
    @blp.arguments(s.StaffFeeListArgsSchema, location="query")
    @blp.response(200, page_schema(s.FeeSchema))
    @blp.doc(
        summary="Fee history, newest first: a patron sees their own fees; staff the fees of their "
        "libraries (filters: status, patron_id, library_id)"
    )
    def get(self, args):
        principal = require_principal()
        if principal.is_patron:
            stmt = services.fees_of_patron(_caller(), status=args.get("status"))
        else:
            _caller()
            stmt = services.fees_for_staff(
                db.session,
                principal,
                status=args.get("status"),
                patron_id=args.get("patron_id"),
                library_id=args.get("library_id"),
            )
        return paginate(db.session, stmt, Fee, limit=args["limit"], starting_after=args["starting_after"])

    @allow(*STAFF)
    @idempotent
    @blp.arguments(s.FeeChargeSchema)
    @blp.response(201, s.FeeSchema)
    @blp.doc(summary="Charge a fee to a patron, owed to one of my libraries")
    def post(self, data):
        principal = require_principal()
        _caller()
        library = db.session.scalar(select(Library).where(Library.public_id == data["library_id"]))
        if data.get("patron_id"):
            patron = patron_records.get_patron(db.session, data["patron_id"])
        else:
            patron = patron_records.find_by_card(db.session, data["card_number"])
        return services.charge_fee(
            db.session,
            principal,
            patron=patron,
            library=library,
            type_code=data["type"],
            amount=data.get("amount"),
            description=data["description"],
        )

    add_error_responses(post, 404, 422)


@blp.route("/types")
class FeeTypes(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.FeeTypeListSchema)
    @blp.doc(summary="My network's fee types and their default amounts")
    def get(self):
        _caller()
        return {"data": services.fee_types_of(db.session, _network(require_principal()))}


@blp.route("/types/<fee_type_id>")
class OneFeeType(MethodView):
    @allow("admin")
    @blp.arguments(s.FeeTypeUpdateSchema)
    @blp.response(200, s.FeeTypeSchema)
    @blp.doc(summary="Change a fee type's default amount (network admin)")
    def patch(self, data, fee_type_id):
        _caller()
        return services.set_default_amount(db.session, require_principal(), fee_type_id, data["default_amount"])

    add_error_responses(patch, 404)


@blp.route("/import")
class FeeImport(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.FeeImportSchema)
    @blp.response(200, s.FeeImportResultSchema)
    @blp.doc(
        summary="Batch of fees from the library management system, keyed by its fee id: sending the "
        "same batch again changes nothing; one result per item"
    )
    def post(self, data):
        principal = require_principal()
        _caller()
        return {"data": services.import_fees(db.session, principal, _network(principal), data["fees"])}


@blp.route("/payments")
class FeePayments(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.FeePaySchema)
    @blp.response(201, s.FeePaymentSchema)
    @blp.doc(summary="Pay one or several of my outstanding fees from my wallet, all or nothing")
    def post(self, data):
        return services.pay_fees(db.session, _caller(), data["fee_ids"])

    add_error_responses(post, 404)

    @allow("patron")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.FeePaymentSummarySchema))
    @blp.doc(summary="My fee payments, newest first, with the fees each one settled")
    def get(self, args):
        return services.my_fee_payments(
            db.session, _caller(), limit=args["limit"], starting_after=args["starting_after"]
        )


@blp.route("/<fee_id>")
class OneFee(MethodView):
    @allow("patron", *STAFF)
    @blp.response(200, s.FeeSchema)
    @blp.doc(summary="One fee (mine, or of my libraries)")
    def get(self, fee_id):
        principal = require_principal()
        if principal.is_patron:
            return services.get_fee_for_patron(db.session, _caller(), fee_id)
        _caller()
        return services.get_fee_for_staff(db.session, principal, fee_id)

    add_error_responses(get, 404)


@blp.route("/<fee_id>/waive")
class WaiveFee(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(s.FeeWaiveSchema)
    @blp.response(200, s.FeeSchema)
    @blp.doc(summary="Waive a fee with a reason; if it was paid, the money goes back to the wallet")
    def post(self, data, fee_id):
        principal = require_principal()
        _caller()
        return services.waive_fee(db.session, principal, fee_id, data["reason"])

    add_error_responses(post, 404)


blueprints = (blp,)
