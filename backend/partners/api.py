"""HTTP layer of partner offers and passes (``/v1/partners``). Thin: parse, authorize, call one service."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.money import Money
from backend.pagination import page_schema
from backend.partners import catalog, history, passes, passkeys, redeem, statements, till
from backend.partners import schemas as s
from backend.partners.scope import managed_partner, till_scope
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.language import negotiate_language
from backend.web.policy import allow, current_person, public, require_principal
from backend.web.settings import current_settings

blp = Blueprint(
    "partners",
    __name__,
    url_prefix="/v1/partners",
    description="Partner venues and discount passes: offers, passes, till validation, statements",
)
MANAGERS = ("admin",)


def _till():
    return till_scope(db.session, require_principal())


# --- public -------------------------------------------------------------------------------------


@blp.route("/keys")
class PassKeys(MethodView):
    @public
    @blp.response(200, s.PassJwksSchema)
    @blp.doc(summary="Public keys (JWKS) that verify passes offline; several during a key rotation")
    def get(self):
        return passkeys.jwks(current_settings())


# --- patrons ------------------------------------------------------------------------------------


@blp.route("/offers")
class Offers(MethodView):
    @allow("patron")
    @blp.arguments(s.OfferSearchArgsSchema, location="query")
    @blp.response(200, page_schema(s.OfferForPatronSchema))
    @blp.doc(summary="Offers for my network: near a point, by category, venue or text; eligibility and uses left")
    def get(self, args):
        return catalog.search_offers(db.session, current_person(), args)


@blp.route("/offers/<offer_id>")
class OfferDetail(MethodView):
    @allow("patron")
    @blp.response(200, s.OfferForPatronSchema)
    @blp.doc(summary="One offer, with my eligibility and uses left")
    def get(self, offer_id):
        return catalog.offer_for_patron(db.session, current_person(), offer_id)


add_error_responses(OfferDetail.get, 404)


@blp.route("/pass")
class MyPass(MethodView):
    @allow("patron")
    @blp.arguments(s.PassRequestSchema)
    @blp.response(200, s.PassSchema)
    @blp.doc(summary="Get or renew my pass for this device (valid 48 h; a new device revokes the others)")
    def post(self, data):
        return passes.issue_pass(db.session, current_settings(), current_person(), data["device_key"])


@blp.route("/pass/revoke")
class RevokeMyPass(MethodView):
    @allow("patron")
    @blp.response(204)
    @blp.doc(summary="Revoke every pass of mine (lost phone)")
    def post(self):
        passes.revoke_own_passes(db.session, current_person())


@blp.route("/redemptions/mine")
class MyRedemptions(MethodView):
    @allow("patron")
    @blp.arguments(s.PageArgsSchema, location="query")
    @blp.response(200, s.MyRedemptionsSchema)
    @blp.doc(summary="My redemptions, newest first, and what they saved me in total")
    def get(self, args):
        patron = current_person()
        page = history.my_redemptions(db.session, patron, limit=args["limit"], starting_after=args["starting_after"])
        return {
            "data": page.data,
            "has_more": page.has_more,
            "next_cursor": page.next_cursor,
            "total_savings": Money(history.my_savings(db.session, patron)),
        }


# --- tills (partner staff) ---------------------------------------------------------------------------


@blp.route("/revocations")
class Revocations(MethodView):
    @allow("partner")
    @blp.response(200, s.RevocationListSchema)
    @blp.doc(summary="What an offline till must refuse: revoked passes, offers and agreements (sync often)")
    def get(self):
        return passes.revocation_list(db.session, _till().partner.id)


@blp.route("/redemptions")
class Redemptions(MethodView):
    @allow("partner")
    @idempotent
    @blp.arguments(s.RedeemSchema)
    @blp.response(201, s.RedeemResultSchema)
    @blp.doc(summary="Validate a scanned (or typed) pass online: the benefit and price, or a precise refusal")
    def post(self, data):
        return redeem.redeem(
            db.session,
            current_settings(),
            _till(),
            code=data["code"],
            venue_id=data["venue_id"],
            offer_id=data["offer_id"],
            list_price=data["list_price"],
            quantity=data["quantity"],
            scan_id=data["scan_id"],
            language=negotiate_language(),
        )

    @allow("partner")
    @blp.arguments(s.TillRedemptionArgsSchema, location="query")
    @blp.response(200, page_schema(s.RedemptionSchema))
    @blp.doc(summary="Redemptions at my venue(s) on a day (default today, Europe/Rome)")
    def get(self, args):
        return history.till_redemptions(
            db.session,
            _till(),
            args.get("day") or catalog.today_in_rome(),
            limit=args["limit"],
            starting_after=args["starting_after"],
        )


add_error_responses(Redemptions.post, 404, 409, 422)


@blp.route("/redemptions/batch")
class RedemptionBatch(MethodView):
    @allow("partner")
    @idempotent
    @blp.arguments(s.RedemptionBatchSchema)
    @blp.response(200, s.RedemptionBatchResultSchema)
    @blp.doc(summary="Upload an offline till's scans: deduplicated by scan_id; over-limit uses kept and flagged")
    def post(self, data):
        language = negotiate_language()
        results = redeem.redeem_batch(db.session, current_settings(), _till(), data["scans"], language=language)
        return {
            "results": [
                {
                    "scan_id": r.scan_id,
                    "outcome": r.outcome,
                    "redemption": r.redemption,
                    "error": None
                    if r.error is None
                    else {
                        "code": r.error.error.code,
                        "message": r.error.body(language)["error"]["message"],
                        "reason": r.error.extra.get("reason"),
                    },
                }
                for r in results
            ]
        }


add_error_responses(RedemptionBatch.post, 409, 422)


@blp.route("/redemptions/<redemption_id>/approve")
class ApproveRedemption(MethodView):
    @allow("finance", "admin")
    @blp.response(200, s.RedemptionSchema)
    @blp.doc(summary="Accept a flagged offline use: it is reimbursed now, within the budget")
    def post(self, redemption_id):
        return redeem.approve(db.session, require_principal(), redemption_id)


add_error_responses(ApproveRedemption.post, 404, 422)


@blp.route("/redemptions/<redemption_id>/reject")
class RejectRedemption(MethodView):
    @allow("finance", "admin")
    @blp.response(200, s.RedemptionSchema)
    @blp.doc(summary="Refuse a flagged offline use: never reimbursed")
    def post(self, redemption_id):
        return redeem.reject(db.session, require_principal(), redemption_id)


add_error_responses(RejectRedemption.post, 404, 422)


@blp.route("/till-payments")
class TillPayments(MethodView):
    @allow("partner")
    @idempotent
    @blp.arguments(s.TillPaymentInSchema)
    @blp.response(201, s.TillPaymentSchema)
    @blp.doc(summary="Ask the pass holder to pay an amount from the wallet (they confirm in the app within 2 min)")
    def post(self, data):
        return till.ask(
            db.session,
            current_settings(),
            _till(),
            code=data["code"],
            venue_id=data["venue_id"],
            amount=data["amount"],
            description=data["description"],
        )


add_error_responses(TillPayments.post, 404, 409, 422)


@blp.route("/till-payments/<payment_id>")
class TillPaymentDetail(MethodView):
    @allow("partner")
    @blp.response(200, s.TillPaymentSchema)
    @blp.doc(summary="A till payment (poll until paid, declined or expired)")
    def get(self, payment_id):
        return till.own_payment(db.session, _till(), payment_id)


add_error_responses(TillPaymentDetail.get, 404)


@blp.route("/till-payments/<payment_id>/refund")
class TillPaymentRefund(MethodView):
    @allow("partner")
    @idempotent
    @blp.response(200, s.TillPaymentSchema)
    @blp.doc(summary="Refund a wallet payment within 30 days: the money goes back to the wallet")
    def post(self, payment_id):
        return till.refund(db.session, _till(), payment_id)


add_error_responses(TillPaymentRefund.post, 404, 409, 422)


@blp.route("/statements/<int:year>/<int:month>")
class PartnerStatement(MethodView):
    @allow("partner")
    @blp.arguments(s.StatementArgsSchema, location="query")
    @blp.response(200, s.StatementSchema)
    @blp.alt_response(
        200,
        description="`format=csv` or `format=pdf`: the statement as a file",
        content_type="application/pdf",
        success=True,
    )
    @blp.doc(summary="My partner's monthly statement (Europe/Rome month), as JSON, CSV or PDF, it/en")
    def get(self, args, year, month):
        return _statement(_till().partner, year, month, args)


add_error_responses(PartnerStatement.get, 404)


def _statement(partner, year, month, args):
    language = args["lang"] or negotiate_language()
    statement = statements.monthly_statement(db.session, partner, year, month, language)
    name = f"statement-{partner.public_id}-{year}-{month:02d}"
    if args["format"] == "csv":
        return Response(
            statements.render_csv(statement, language),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if args["format"] == "pdf":
        return Response(
            statements.render_pdf(statement, language),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
        )
    return statement


# --- network admins (and finance, reading) ------------------------------------------------------------


@blp.route("/agreements")
class Agreements(MethodView):
    @allow("partner", "finance", "admin")
    @blp.response(200, s.AgreementSchema(many=True))
    @blp.doc(summary="Agreements: a partner's own, or those of the admin's network")
    def get(self):
        principal = require_principal()
        scope = till_scope(db.session, principal) if principal.role == "partner" else None
        return catalog.agreements_for(db.session, principal, scope)


@blp.route("/agreements/<agreement_id>/offers")
class AgreementOffers(MethodView):
    @allow(*MANAGERS)
    @blp.arguments(s.OfferInSchema)
    @blp.response(201, s.OfferSchema)
    @blp.doc(summary="Add an offer to an agreement")
    def post(self, data, agreement_id):
        return catalog.create_offer(db.session, require_principal(), agreement_id, data)


add_error_responses(AgreementOffers.post, 404)


@blp.route("/agreements/<agreement_id>/revoke")
class RevokeAgreement(MethodView):
    @allow(*MANAGERS)
    @blp.response(200, s.AgreementSchema)
    @blp.doc(summary="Revoke an agreement: its offers stop at once online, at the next sync offline")
    def post(self, agreement_id):
        return catalog.revoke_agreement(db.session, require_principal(), agreement_id)


add_error_responses(RevokeAgreement.post, 404, 422)


@blp.route("/offers/<offer_id>/revoke")
class RevokeOffer(MethodView):
    @allow(*MANAGERS)
    @blp.response(200, s.OfferSchema)
    @blp.doc(summary="Revoke an offer: stops at once online, at the next sync offline")
    def post(self, offer_id):
        return catalog.revoke_offer(db.session, require_principal(), offer_id)


add_error_responses(RevokeOffer.post, 404, 422)


@blp.route("/partners")
class Partners(MethodView):
    @allow(*MANAGERS, "finance")
    @blp.response(200, s.PartnerSchema(many=True))
    @blp.doc(summary="Partners of my network")
    def get(self):
        return catalog.list_partners(db.session, require_principal())

    @allow(*MANAGERS)
    @blp.arguments(s.PartnerInSchema)
    @blp.response(201, s.PartnerSchema)
    @blp.doc(summary="Register a partner (partita IVA or codice fiscale and IBAN checked)")
    def post(self, data):
        return catalog.create_partner(db.session, require_principal(), data)


@blp.route("/partners/<partner_id>")
class PartnerDetail(MethodView):
    @allow(*MANAGERS)
    @blp.arguments(s.PartnerPatchSchema)
    @blp.response(200, s.PartnerSchema)
    @blp.doc(summary="Change a partner (e.g. turn wallet payments at the till on)")
    def patch(self, data, partner_id):
        return catalog.update_partner(db.session, require_principal(), partner_id, data)


add_error_responses(PartnerDetail.patch, 404)


@blp.route("/partners/<partner_id>/venues")
class PartnerVenues(MethodView):
    @allow(*MANAGERS)
    @blp.arguments(s.VenueInSchema)
    @blp.response(201, s.PartnerVenueSchema)
    @blp.doc(summary="Add a venue to a partner")
    def post(self, data, partner_id):
        return catalog.create_venue(db.session, require_principal(), partner_id, data)


add_error_responses(PartnerVenues.post, 404)


@blp.route("/partners/<partner_id>/agreements")
class PartnerAgreements(MethodView):
    @allow(*MANAGERS)
    @blp.arguments(s.AgreementInSchema)
    @blp.response(201, s.AgreementSchema)
    @blp.doc(summary="Sign an agreement with a partner: eligible networks, period, budget cap")
    def post(self, data, partner_id):
        return catalog.create_agreement(db.session, require_principal(), partner_id, data)


add_error_responses(PartnerAgreements.post, 404)


@blp.route("/partners/<partner_id>/statements/<int:year>/<int:month>")
class ManagedStatement(MethodView):
    @allow("finance", "admin")
    @blp.arguments(s.StatementArgsSchema, location="query")
    @blp.response(200, s.StatementSchema)
    @blp.doc(summary="A partner's monthly statement, for the network's finance staff")
    def get(self, args, partner_id, year, month):
        return _statement(managed_partner(db.session, require_principal(), partner_id), year, month, args)


add_error_responses(ManagedStatement.get, 404)

blueprints = (blp,)
