"""Request and response bodies of the top-up endpoints."""

from __future__ import annotations

import marshmallow as ma

from backend.money import Money, MoneyField, PositiveMoneySchema
from backend.schema_fields import StrictBoolean, UtcDateTime


class TopupRequestSchema(ma.Schema):
    amount = ma.fields.Nested(PositiveMoneySchema, required=True)


class PaymentSheetSchema(ma.Schema):
    provider = ma.fields.String(required=True, metadata={"description": "`stripe` (or `sandbox` in the demo)"})
    publishable_key = ma.fields.String(required=True)
    payment_intent_client_secret = ma.fields.String(required=True)
    customer_id = ma.fields.String(required=True)
    customer_session_client_secret = ma.fields.String(required=True)


class TopupSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    status = ma.fields.String(
        required=True,
        metadata={
            "description": "pending, succeeded, failed (declined: the sheet may be retried), canceled, amount_mismatch"
        },
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
        }


class StartedTopupSchema(ma.Schema):
    topup = ma.fields.Nested(TopupSchema, required=True)
    payment_sheet = ma.fields.Nested(PaymentSheetSchema, required=True)


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


class WebhookAckSchema(ma.Schema):
    received = ma.fields.Boolean(required=True)
    outcome = ma.fields.String(required=True)


class SandboxPayArgs(ma.Schema):
    succeed = StrictBoolean(load_default=True)
