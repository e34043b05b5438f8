"""Request and response bodies of the top-up endpoints."""

from __future__ import annotations

import marshmallow as ma

from backend.money import Money, MoneyField, PositiveMoneySchema
from backend.pagination import PageArgsSchema
from backend.schema_fields import StrictBoolean, UtcDateTime


class TopupRequestSchema(ma.Schema):
    amount = ma.fields.Nested(PositiveMoneySchema, required=True)
    method = ma.fields.String(
        load_default="stripe",
        validate=ma.validate.OneOf(("stripe", "pagopa")),
        metadata={
            "description": "`stripe` (card, the default) or `pagopa` (a payment notice); "
            "`GET /v1/wallet/topup-methods` says which the patron's network offers"
        },
    )


class PaymentSheetSchema(ma.Schema):
    provider = ma.fields.String(required=True, metadata={"description": "`stripe` (or `sandbox` in the demo)"})
    publishable_key = ma.fields.String(required=True)
    payment_intent_client_secret = ma.fields.String(required=True)
    customer_id = ma.fields.String(required=True)
    customer_session_client_secret = ma.fields.String(required=True)


class PagopaNoticeSchema(ma.Schema):
    notice_number = ma.fields.String(
        required=True,
        metadata={"description": "Codice avviso: 18 digits, to pay at any PSP", "example": "301000000000424251"},
    )
    iuv = ma.fields.String(required=True, metadata={"description": "The payment's IUV (17 digits)"})
    creditor_fiscal_code = ma.fields.String(
        required=True, metadata={"description": "Fiscal code of the creditor body (the network), 11 digits"}
    )
    creditor_name = ma.fields.String(required=True)
    amount = MoneyField(required=True)
    due_at = UtcDateTime(required=True, metadata={"description": "Payable until then; afterwards nothing is charged"})
    qr_payload = ma.fields.String(
        required=True,
        metadata={"description": "What the notice's QR code says: `PAGOPA|002|<notice>|<fiscal code>|<cents>`"},
    )
    notice_pdf_url = ma.fields.String(required=True, metadata={"description": "The printable payment notice (PDF)"})
    paid_at = UtcDateTime(allow_none=True, required=True)
    late_receipt = ma.fields.Boolean(
        required=True,
        metadata={"description": "Paid after the notice expired or was withdrawn (credited all the same)"},
    )


class TopupSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    status = ma.fields.String(
        required=True,
        metadata={
            "description": "pending, succeeded, failed (declined: the sheet may be retried), canceled, "
            "amount_mismatch; pagoPA only: expired (due date passed unpaid), invalidated (withdrawn)"
        },
    )
    method = ma.fields.String(required=True, metadata={"description": "`stripe` (card) or `pagopa`"})
    pagopa = ma.fields.Nested(
        PagopaNoticeSchema, required=True, allow_none=True, metadata={"description": "The notice (pagoPA only)"}
    )
    amount = MoneyField(required=True)
    failure_code = ma.fields.String(allow_none=True)
    receipt_id = ma.fields.String(allow_none=True)
    created_at = UtcDateTime(required=True)
    settled_at = UtcDateTime(allow_none=True)

    @ma.pre_dump
    def _money(self, topup, **kwargs):
        return {
            "public_id": topup.public_id,
            "status": topup.status,
            "amount": Money(topup.amount, topup.currency),
            "failure_code": topup.failure_code,
            "created_at": topup.created_at,
            "settled_at": topup.settled_at,
            "receipt_id": getattr(topup, "receipt_public_id", None),
            "method": "pagopa" if topup.provider == "pagopa" else "stripe",
            "pagopa": getattr(topup, "pagopa_notice", None),
        }


class StartedTopupSchema(ma.Schema):
    topup = ma.fields.Nested(TopupSchema, required=True)
    payment_sheet = ma.fields.Nested(
        PaymentSheetSchema, required=True, allow_none=True, metadata={"description": "Card top-ups only"}
    )


class TopupMethodsSchema(ma.Schema):
    methods = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "The top-up methods my network offers, in its order: `stripe`, `pagopa`"},
    )


class NoticeArgs(ma.Schema):
    lang = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(("it", "en")),
        metadata={"description": "Language; default from Accept-Language"},
    )


class PagopaReceiptNotificationSchema(ma.Schema):
    """The paid-receipt notification: it names the notice; the receipt itself is read back from pagoPA."""

    class Meta:
        unknown = ma.EXCLUDE  # the rest of the receipt's fields, not trusted from here

    fiscalCode = ma.fields.String(  # noqa: N815 - pagoPA's field names
        required=True,
        validate=ma.validate.Regexp(r"^[0-9]{11}$"),
        metadata={"description": "The creditor body's fiscal code"},
    )
    creditorReferenceId = ma.fields.String(  # noqa: N815
        required=True, validate=ma.validate.Regexp(r"^[0-9]{17}$"), metadata={"description": "The IUV"}
    )
    receiptId = ma.fields.String(  # noqa: N815
        load_default=None, validate=ma.validate.Length(max=64), metadata={"description": "The receipt's id"}
    )


class RefundRequestSchema(ma.Schema):
    amount = ma.fields.Nested(PositiveMoneySchema, required=True)


class RefundPartSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    amount = MoneyField(required=True)
    status = ma.fields.String(required=True, metadata={"description": "pending, succeeded or failed"})
    topup_id = ma.fields.String(required=True)


class RefundSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "The refund request"})
    amount = MoneyField(required=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": "pending (sent or about to be sent to the card provider), succeeded, failed, partial"},
    )
    parts = ma.fields.List(
        ma.fields.Nested(RefundPartSchema), required=True, metadata={"description": "One per original card payment"}
    )


class RefundableSchema(ma.Schema):
    refundable_to_card = MoneyField(required=True)
    refundable_by_bank_transfer = MoneyField(
        required=True, metadata={"description": "Balance paid in through pagoPA: it goes back by bank transfer"}
    )


class WebhookAckSchema(ma.Schema):
    received = ma.fields.Boolean(required=True)
    outcome = ma.fields.String(required=True)


class SandboxPayArgs(ma.Schema):
    succeed = StrictBoolean(load_default=True)


class BankRefundRequestSchema(ma.Schema):
    amount = ma.fields.Nested(PositiveMoneySchema, required=True)
    iban = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=15, max=42),
        metadata={"description": "Where the transfer goes (spaces allowed); checked with its check digits"},
    )
    account_holder = ma.fields.String(
        required=True, validate=ma.validate.Length(min=2, max=140), metadata={"description": "The account's holder"}
    )


class BankRefundSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    amount = MoneyField(required=True)
    status = ma.fields.String(
        required=True,
        metadata={
            "description": "requested (the wallet is debited, finance decides), approved (the transfer is "
            "ordered), rejected (the money is back in the wallet)"
        },
    )
    iban = ma.fields.String(required=True, metadata={"description": "Masked: country, check digits, last four"})
    account_holder = ma.fields.String(required=True)
    note = ma.fields.String(required=True, allow_none=True, metadata={"description": "Finance's note on the decision"})
    created_at = UtcDateTime(required=True)
    decided_at = UtcDateTime(required=True, allow_none=True)

    @ma.pre_dump
    def _shown(self, refund, **kwargs):
        from backend.topups.bank_refunds import masked

        return {
            "public_id": refund.public_id,
            "amount": Money(refund.amount, refund.currency),
            "status": refund.status,
            "iban": masked(refund.iban),
            "account_holder": refund.account_holder,
            "note": refund.note,
            "created_at": refund.created_at,
            "decided_at": refund.decided_at,
        }


class StaffBankRefundSchema(BankRefundSchema):
    patron_id = ma.fields.String(required=True)
    patron_name = ma.fields.String(required=True)
    iban = ma.fields.String(required=True, metadata={"description": "In full, to order the transfer"})

    @ma.pre_dump
    def _shown(self, refund, **kwargs):
        shown = BankRefundSchema._shown(self, refund)
        return {
            **shown,
            "iban": refund.iban,
            "patron_id": refund.patron.public_id,
            "patron_name": refund.patron.display_name,
        }


class BankRefundListArgs(PageArgsSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(("requested", "approved", "rejected")))


class BankRefundDecisionSchema(ma.Schema):
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=300))
