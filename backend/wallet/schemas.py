"""Response bodies and query arguments of the wallet."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma

from backend.money import MoneyField
from backend.pagination import PageArgsSchema
from backend.schema_fields import AwareDateTimeInput, Computed, UtcDateTime

V = ma.validate


class BalanceSchema(ma.Schema):
    balance = MoneyField(metadata={"description": "Money in the wallet"})
    held = MoneyField(metadata={"description": "Reserved by pending holds (e.g. a ticket being bought)"})
    available = MoneyField(metadata={"description": "What can be spent now: balance minus held"})


class PaidItemSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "fee, ticket, donation, …"})
    id = ma.fields.String(metadata={"description": "Public id of the object"})
    description = ma.fields.String()


class TransactionSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    kind = ma.fields.String(
        attribute="entry.kind", metadata={"description": "topup_card, topup_cash, fee_payment, fee_refund, reversal, …"}
    )
    title = ma.fields.String(metadata={"description": "The kind in the caller's language"})
    direction = ma.fields.String(metadata={"description": "in (money into the wallet) or out"})
    amount = MoneyField(metadata={"description": "Always positive; see direction"})
    created_at = UtcDateTime(attribute="entry.created_at")
    reference = ma.fields.String(
        attribute="entry.reference",
        allow_none=True,
        metadata={"description": "Public id of what the transaction is about"},
    )


class TransactionDetailSchema(TransactionSchema):
    paid_for = ma.fields.List(
        ma.fields.Nested(PaidItemSchema), metadata={"description": "What the transaction paid for or refunded"}
    )
    reverses = Computed(
        lambda t: t.entry.reverses.public_id if t.entry.reverses is not None else None,
        ma.fields.String(),
        allow_none=True,
        metadata={"description": "The transaction this one cancels, if it is a reversal"},
    )


class TransactionListArgsSchema(PageArgsSchema):
    kind = ma.fields.String(validate=V.Length(min=1, max=40))
    created_from = AwareDateTimeInput(default_timezone=UTC, metadata={"description": "Inclusive, ISO 8601"})
    created_to = AwareDateTimeInput(default_timezone=UTC, metadata={"description": "Exclusive, ISO 8601"})

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("created_from") and data.get("created_to") and data["created_from"] >= data["created_to"]:
            raise ma.ValidationError("must be after created_from", "created_to")


class StatementPeriodSchema(ma.Schema):
    """The month of a statement, from the path: out of range is a 400 like any bad parameter."""

    year = ma.fields.Integer(required=True, validate=V.Range(min=2000, max=2999))
    month = ma.fields.Integer(required=True, validate=V.Range(min=1, max=12))
