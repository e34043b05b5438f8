"""HTTP layer of top-ups (card and pagoPA), refunds to card, and the providers' notifications."""

from __future__ import annotations

import hmac

from flask import Response, after_this_request, current_app, request, url_for
from flask.views import MethodView

from backend.errors import NOT_FOUND, DomainError
from backend.i18n import normalize_language
from backend.money import Money
from backend.pagination import PageArgsSchema, page_schema, paginate, select
from backend.receipts.http import RECEIPT_RESPONSES, ReceiptFormatArgs, receipt_response
from backend.receipts.services import receipt_for
from backend.topups import bank_refunds, pagopa, refunds, services
from backend.topups.errors import PAGOPA_NOTIFICATION_REFUSED, SANDBOX_ONLY, TOPUP_NOT_PAYABLE
from backend.topups.models import OPEN_TOPUP_STATES, BankRefund, CardRefund, PagopaNotice, Topup, TopupState
from backend.topups.notice import NoticeSheet, render_notice
from backend.topups.provider import get_notice_provider, get_provider
from backend.topups.schemas import (
    BankRefundDecisionSchema,
    BankRefundListArgs,
    BankRefundRequestSchema,
    BankRefundSchema,
    NoticeArgs,
    PagopaReceiptNotificationSchema,
    RefundableSchema,
    RefundRequestSchema,
    RefundSchema,
    SandboxPayArgs,
    StaffBankRefundSchema,
    StartedTopupSchema,
    TopupMethodsSchema,
    TopupRequestSchema,
    TopupSchema,
    WebhookAckSchema,
)
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.language import negotiate_language
from backend.web.policy import allow, current_person, public, require_principal
from backend.web.settings import current_settings
from payments.pagopa import qr_payload
from payments.pagopa_sandbox import SandboxNoticeProvider
from payments.sandbox import SandboxProvider

blp = Blueprint(
    "topups", __name__, url_prefix="/v1/wallet", description="Top-ups by card and by pagoPA, refunds to card"
)
webhooks = Blueprint(
    "payment_webhooks",
    __name__,
    url_prefix="/v1/payments",
    description="Notifications from the payment providers (card provider, pagoPA)",
)


def _notice_body(topup: Topup, notice: PagopaNotice) -> dict:
    return {
        "notice_number": notice.notice_number,
        "iuv": notice.iuv,
        "creditor_fiscal_code": notice.creditor_fiscal_code,
        "creditor_name": notice.network.name,
        "amount": Money(topup.amount, topup.currency),
        "due_at": notice.due_at,
        "qr_payload": qr_payload(notice.notice_number, notice.creditor_fiscal_code, topup.amount),
        "notice_pdf_url": url_for("topups.TopupNotice", topup_id=topup.public_id),
        "paid_at": notice.paid_at,
        "late_receipt": notice.late_receipt,
    }


def _with_receipt(topup: Topup, notice: PagopaNotice | None = None) -> Topup:
    receipt = receipt_for(db.session, topup.public_id)
    topup.receipt_public_id = receipt.public_id if receipt else None
    if topup.provider == pagopa.PROVIDER:
        notice = notice or pagopa.notices_by_topup(db.session, [topup.id]).get(topup.id)
    topup.pagopa_notice = _notice_body(topup, notice) if notice is not None else None
    return topup


@blp.route("/topups")
class Topups(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(TopupRequestSchema)
    @blp.response(201, StartedTopupSchema)
    def post(self, data):
        """Start a top-up by card (`method: stripe`, the default) or by pagoPA (`method: pagopa`).

        Card: the answer has what the app's PaymentSheet needs; the wallet is
        credited only when the card provider confirms the payment (poll
        `GET /v1/wallet/topups/{topup_id}` until `succeeded` or `failed`).

        pagoPA: the answer's `topup.pagopa` has the notice (notice number,
        creditor fiscal code, amount, due date, QR payload, the printable PDF) to
        pay in the pagoPA checkout or at any PSP; the wallet is credited when
        pagoPA's receipt arrives. 422 `topup_method_not_offered` when the
        patron's network does not offer the method.
        """
        if data["method"] == "pagopa":
            notice = pagopa.start_pagopa_topup(
                db.session, get_notice_provider(current_app), current_settings(), current_person(), data["amount"]
            )
            return {"topup": _with_receipt(notice.topup, notice.notice), "payment_sheet": None}
        pagopa.check_method_offered(current_settings(), current_person(), "stripe")
        started = services.start_topup(
            db.session, get_provider(current_app), current_settings(), current_person(), data["amount"]
        )
        return {
            "topup": _with_receipt(started.topup),
            "payment_sheet": {
                "provider": get_provider(current_app).name,
                "publishable_key": started.publishable_key,
                "payment_intent_client_secret": started.intent.client_secret,
                "customer_id": started.sheet.customer_id,
                "customer_session_client_secret": started.sheet.customer_session_client_secret,
            },
        }

    @allow("patron")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(TopupSchema))
    def get(self, args):
        """My top-ups (card and pagoPA), newest first."""
        page = paginate(db.session, select(Topup).where(Topup.patron_id == current_person().id), Topup, **args)
        notices = pagopa.notices_by_topup(db.session, [t.id for t in page.data])
        page.data = [_with_receipt(t, notices.get(t.id)) for t in page.data]
        return page


add_error_responses(Topups.post, 422, 503)


@blp.route("/topups/<topup_id>")
class TopupById(MethodView):
    @allow("patron")
    @blp.response(200, TopupSchema)
    def get(self, topup_id):
        """One of my top-ups (poll this after the PaymentSheet closes)."""
        return _with_receipt(services.topup_of(db.session, current_person(), topup_id))


add_error_responses(TopupById.get, 404)


@blp.route("/topup-methods")
class TopupMethods(MethodView):
    @allow("patron")
    @blp.response(200, TopupMethodsSchema)
    def get(self):
        """Which top-up methods my network offers (`stripe` for cards, `pagopa` for payment notices)."""
        return {"methods": list(pagopa.methods_for(current_settings(), current_person()))}


@blp.route("/topups/<topup_id>/notice")
class TopupNotice(MethodView):
    @allow("patron")
    @blp.arguments(NoticeArgs, location="query")
    @blp.response(
        200,
        content_type="application/pdf",
        description="The pagoPA payment notice, with its QR code, in my language (or `lang`)",
    )
    def get(self, args, topup_id):
        """The printable pagoPA payment notice (avviso di pagamento) of one of my pagoPA top-ups."""
        topup, notice = pagopa.notice_of(db.session, current_person(), topup_id)
        language = normalize_language(args.get("lang") or negotiate_language())
        sheet = NoticeSheet(
            creditor_name=notice.network.name,
            creditor_fiscal_code=notice.creditor_fiscal_code,
            debtor_name=current_person().display_name,
            subject=pagopa.subject(language),
            amount=Money(topup.amount, topup.currency),
            due_at=notice.due_at,
            notice_number=notice.notice_number,
        )
        response = Response(render_notice(sheet, language), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="avviso-{notice.notice_number}.pdf"'
        response.headers["Cache-Control"] = "private, no-store"
        return response


add_error_responses(TopupNotice.get, 404)


@blp.route("/topups/<topup_id>/cancel")
class CancelTopup(MethodView):
    @allow("patron")
    @idempotent
    @blp.response(200, TopupSchema)
    def post(self, topup_id):
        """Withdraw an unpaid pagoPA notice: it can no longer be paid anywhere (state `invalidated`).

        409 `topup_not_cancelable` once it is paid, expired or withdrawn already.
        """
        topup = pagopa.cancel_pagopa_topup(
            db.session, get_notice_provider(current_app), current_settings(), current_person(), topup_id
        )
        return _with_receipt(topup)


add_error_responses(CancelTopup.post, 404, 409, 503)


@blp.route("/topups/<topup_id>/receipt")
class TopupReceipt(MethodView):
    @allow("patron")
    @blp.arguments(ReceiptFormatArgs, location="query")
    @blp.doc(responses=RECEIPT_RESPONSES)
    def get(self, args, topup_id):
        """Receipt of a succeeded top-up, as printable HTML or PDF."""
        topup = services.topup_of(db.session, current_person(), topup_id)
        receipt = receipt_for(db.session, topup.public_id)
        if receipt is None:
            raise DomainError(NOT_FOUND)
        return receipt_response(receipt, args)


add_error_responses(TopupReceipt.get, 404)


@blp.route("/topups/<topup_id>/sandbox-payment")
class SandboxPayment(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(SandboxPayArgs)
    @blp.response(200, TopupSchema)
    def post(self, args, topup_id):
        """Demo only (sandbox provider): pay the top-up as the PaymentSheet would.

        The sandbox signs the provider's event and it goes through the same
        webhook handling as a real one. 404 with a real provider.
        """
        topup = services.topup_of(db.session, current_person(), topup_id)
        if topup.provider == pagopa.PROVIDER:
            return _sandbox_pay_notice(topup)
        provider = get_provider(current_app)
        if not isinstance(provider, SandboxProvider):
            raise DomainError(SANDBOX_ONLY)
        if topup.status not in OPEN_TOPUP_STATES:
            raise DomainError(TOPUP_NOT_PAYABLE)
        body, signature = provider.pay(provider.retrieve_intent(topup.intent_id), succeed=args["succeed"])
        services.receive_webhook(db.session, provider, body, signature)
        db.session.refresh(topup)
        return _with_receipt(topup)


add_error_responses(SandboxPayment.post, 404)


def _sandbox_pay_notice(topup: Topup) -> Topup:
    """What paying the notice at a PSP does, offline: the sandbox's receipt goes through the usual booking."""
    provider = get_notice_provider(current_app)
    if not isinstance(provider, SandboxNoticeProvider):
        raise DomainError(SANDBOX_ONLY)
    if topup.status not in (TopupState.PENDING, *pagopa.LATE_RECEIPT_STATES):
        raise DomainError(TOPUP_NOT_PAYABLE)
    pagopa.sandbox_pay(db.session, provider, current_settings(), topup)
    db.session.refresh(topup)
    return _with_receipt(topup)


@blp.route("/refunds/refundable")
class Refundable(MethodView):
    @allow("patron")
    @blp.response(200, RefundableSchema)
    def get(self):
        """How much of my balance can go back now: to my card(s), and by bank transfer (pagoPA money)."""
        return {
            "refundable_to_card": refunds.refundable_amount(db.session, current_person()),
            "refundable_by_bank_transfer": bank_refunds.refundable_by_transfer(db.session, current_person()),
        }


def _refund_body(request_id: str, parts: list[CardRefund]) -> dict:
    statuses = {p.status for p in parts}
    status = statuses.pop() if len(statuses) == 1 else "partial"
    return {
        "id": request_id,
        "amount": Money(sum(p.amount for p in parts), parts[0].currency),
        "status": status,
        "parts": [
            {
                "public_id": p.public_id,
                "amount": Money(p.amount, p.currency),
                "status": p.status,
                "topup_id": p.topup.public_id,
            }
            for p in parts
        ],
    }


@blp.route("/refunds")
class Refunds(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(RefundRequestSchema)
    @blp.response(201, RefundSchema)
    def post(self, data):
        """Give unused card-funded balance back to the card(s) it came from.

        The wallet is debited now; the card provider is asked right after (status
        `pending` until it answers; a refusal puts the money back in the wallet).
        Money paid in cash is paid out at a library desk instead.
        """
        principal = require_principal()
        parts = refunds.request_refund(db.session, current_person(), data["amount"], actor=principal.subject)
        request_id = parts[0].request_id
        app = current_app._get_current_object()

        @after_this_request
        def _send(response):
            # Runs after the unit of work committed; the settle job retries whatever is left.
            if response.status_code == 201:
                try:
                    refunds.submit_pending_refunds(app.extensions["borsellino.db"], get_provider(app), request_id)
                except Exception:  # noqa: BLE001 - the job will send it
                    app.logger.exception("sending refund %s failed; the settle job will retry", request_id)
            return response

        return _refund_body(request_id, parts)

    @allow("patron")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(RefundSchema))
    def get(self, args):
        """My refund requests to card, newest first, each with where its parts stand."""
        page = refunds.my_refund_requests(
            db.session, current_person(), limit=args["limit"], starting_after=args["starting_after"]
        )
        page.data = [_refund_body(parts[0].request_id, parts) for parts in page.data]
        return page


add_error_responses(Refunds.post, 422)


@blp.route("/refunds/<refund_id>")
class RefundById(MethodView):
    @allow("patron")
    @blp.response(200, RefundSchema)
    def get(self, refund_id):
        """A refund request of mine and where each part stands."""
        return _refund_body(refund_id, refunds.refunds_of_request(db.session, current_person(), refund_id))


add_error_responses(RefundById.get, 404)


@webhooks.route("/webhook")
class Webhook(MethodView):
    @public
    @webhooks.response(200, WebhookAckSchema)
    def post(self):
        """Events from the card provider (Stripe), verified by their `Stripe-Signature` header.

        Configure this URL in the Stripe dashboard with the events `payment_intent.succeeded`,
        `payment_intent.payment_failed`, `payment_intent.canceled`, `charge.refunded` and
        `charge.dispute.created`. Each event is processed once, in any order.
        """
        outcome = services.receive_webhook(
            db.session, get_provider(current_app), request.get_data(cache=True), request.headers.get("Stripe-Signature")
        )
        return {"received": True, "outcome": outcome}


add_error_responses(Webhook.post, 400, 503)


@webhooks.route("/pagopa/receipts")
class PagopaReceipt(MethodView):
    @public
    @webhooks.arguments(PagopaReceiptNotificationSchema)
    @webhooks.response(200, WebhookAckSchema)
    @webhooks.doc(
        parameters=[
            {
                "in": "header",
                "name": "Ocp-Apim-Subscription-Key",
                "required": True,
                "description": "The key configured as `BORSELLINO_PAGOPA_NOTIFICATION_KEY`",
                "schema": {"type": "string"},
            }
        ]
    )
    def post(self, data):
        """pagoPA's paid-receipt notification for one of our notices.

        Authenticated by its subscription key. The receipt is then read back from
        pagoPA (GPD) and only that receipt is booked: the wallet is credited once
        however often, and in whatever order, notifications come. 404 for a
        notice we don't know (yet) and 409 while pagoPA does not confirm the
        payment: the notifier retries.
        """
        settings = current_settings()
        presented = request.headers.get("Ocp-Apim-Subscription-Key", "")
        expected = settings.pagopa_notification_key
        if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
            raise DomainError(PAGOPA_NOTIFICATION_REFUSED)
        outcome = pagopa.receive_receipt_notification(
            db.session, get_notice_provider(current_app), settings, data["fiscalCode"], data["creditorReferenceId"]
        )
        return {"received": True, "outcome": outcome}


add_error_responses(PagopaReceipt.post, 400, 401, 404, 409, 503)


@blp.route("/bank-refunds")
class BankRefunds(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(BankRefundRequestSchema)
    @blp.response(201, BankRefundSchema)
    def post(self, data):
        """Ask for balance paid in through pagoPA back by bank transfer to my IBAN.

        The wallet is debited now (pagoPA money only; card money goes back to the
        card, cash at a desk); finance approves and orders the transfer, or
        rejects and the money is back in the wallet. 400 `invalid_iban`, 422
        `not_refundable_by_transfer` with what can be refunded this way.
        """
        return bank_refunds.request_bank_refund(
            db.session,
            current_person(),
            data["amount"],
            iban=data["iban"],
            account_holder=data["account_holder"],
            actor=require_principal().subject,
        )

    @allow("patron")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(BankRefundSchema))
    def get(self, args):
        """My refund requests by bank transfer, newest first."""
        return paginate(db.session, bank_refunds.my_bank_refunds(current_person()), BankRefund, **args)


add_error_responses(BankRefunds.post, 400, 422)


finance_refunds = Blueprint(
    "finance_bank_refunds",
    __name__,
    url_prefix="/v1/finance/bank-refunds",
    description="Refunds of pagoPA money by bank transfer, decided by finance",
)


@finance_refunds.route("")
class FinanceBankRefunds(MethodView):
    @allow("finance", "admin")
    @finance_refunds.arguments(BankRefundListArgs, location="query")
    @finance_refunds.response(200, page_schema(StaffBankRefundSchema))
    def get(self, args):
        """Refund requests by bank transfer of my network's patrons (filter: status), newest first."""
        stmt = bank_refunds.refunds_of_network(db.session, require_principal(), args.get("status"))
        return paginate(db.session, stmt, BankRefund, limit=args["limit"], starting_after=args["starting_after"])


def _decide(refund_id, data, approve):
    return bank_refunds.decide_bank_refund(
        db.session, require_principal(), refund_id, approve=approve, note=data.get("note")
    )


@finance_refunds.route("/<refund_id>/approve")
class ApproveBankRefund(MethodView):
    @allow("finance", "admin")
    @idempotent
    @finance_refunds.arguments(BankRefundDecisionSchema)
    @finance_refunds.response(200, StaffBankRefundSchema)
    def post(self, data, refund_id):
        """Approve: the transfer to the patron's IBAN is ordered and booked. 409 once decided."""
        return _decide(refund_id, data, True)


@finance_refunds.route("/<refund_id>/reject")
class RejectBankRefund(MethodView):
    @allow("finance", "admin")
    @idempotent
    @finance_refunds.arguments(BankRefundDecisionSchema)
    @finance_refunds.response(200, StaffBankRefundSchema)
    def post(self, data, refund_id):
        """Reject (say why in `note`): the money goes back to the patron's wallet. 409 once decided."""
        return _decide(refund_id, data, False)


add_error_responses(ApproveBankRefund.post, 404, 409)
add_error_responses(RejectBankRefund.post, 404, 409)

blueprints = [blp, webhooks, finance_refunds]
