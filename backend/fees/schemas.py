"""Request and response bodies of library fees."""

from __future__ import annotations

import marshmallow as ma

from backend.fees.models import FeeState
from backend.fees.services import describe
from backend.money import MoneyField, PositiveMoneySchema
from backend.pagination import PageArgsSchema
from backend.schema_fields import Computed, UtcDateTime
from backend.web.language import negotiate_language

V = ma.validate
PUBLIC_ID = {"validate": V.Length(min=1, max=64)}


class FeeTypeSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    code = ma.fields.String(
        metadata={
            "description": "overdue, lost_item, damaged_item, new_card, printing, "
            "interlibrary_loan, room_booking, other"
        }
    )
    name = Computed(lambda t: t.name(negotiate_language()), ma.fields.String())
    name_it = ma.fields.String()
    name_en = ma.fields.String()
    default_amount = MoneyField(
        attribute="default_money", metadata={"description": "0 means the amount is given each time"}
    )


class FeeTypeListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FeeTypeSchema))


class FeeTypeUpdateSchema(ma.Schema):
    default_amount = ma.fields.Nested(PositiveMoneySchema, required=True)


class FeeLibrarySchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    code = ma.fields.String()
    name = ma.fields.String()


class FeePatronSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    card_number = ma.fields.String()


class FeeSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    status = ma.fields.String(metadata={"description": "outstanding, paid or waived"})
    amount = MoneyField(attribute="money")
    type = Computed(lambda f: f.fee_type.code, ma.fields.String())
    description = Computed(
        lambda f: describe(f, negotiate_language()),
        ma.fields.String(),
        metadata={"description": "Type name and the library's note"},
    )
    note = ma.fields.String(attribute="description")
    library = ma.fields.Nested(FeeLibrarySchema)
    patron = ma.fields.Nested(FeePatronSchema)
    external_id = ma.fields.String(allow_none=True)
    charged_at = UtcDateTime(attribute="created_at")
    paid_at = UtcDateTime(allow_none=True)
    payment_id = Computed(lambda f: f.payment.public_id if f.payment else None, ma.fields.String(), allow_none=True)
    transaction_id = Computed(
        lambda f: f.payment.entry.public_id if f.payment else None,
        ma.fields.String(),
        allow_none=True,
        metadata={"description": "Wallet transaction that paid it"},
    )
    waived_at = UtcDateTime(allow_none=True)
    waive_reason = ma.fields.String(allow_none=True)
    refund_transaction_id = Computed(
        lambda f: f.refund_entry.public_id if f.refund_entry else None,
        ma.fields.String(),
        allow_none=True,
        metadata={"description": "Wallet transaction that gave the money back (a paid fee waived)"},
    )


class FeeListArgsSchema(PageArgsSchema):
    status = ma.fields.String(validate=V.OneOf([s.value for s in FeeState]))


class StaffFeeListArgsSchema(FeeListArgsSchema):
    patron_id = ma.fields.String(**PUBLIC_ID)
    library_id = ma.fields.String(**PUBLIC_ID)


class FeeChargeSchema(ma.Schema):
    patron_id = ma.fields.String(**PUBLIC_ID)
    card_number = ma.fields.String(validate=V.Length(min=1, max=32))
    library_id = ma.fields.String(required=True, **PUBLIC_ID)
    type = ma.fields.String(required=True, validate=V.Length(min=1, max=32))
    amount = ma.fields.Nested(PositiveMoneySchema, metadata={"description": "Default: the type's amount"})
    description = ma.fields.String(load_default="", validate=V.Length(max=300))

    @ma.validates_schema
    def _one_patron(self, data, **kwargs):
        if bool(data.get("patron_id")) == bool(data.get("card_number")):
            raise ma.ValidationError("give exactly one of patron_id and card_number", "patron_id")


class FeeImportItemSchema(ma.Schema):
    external_id = ma.fields.String(
        required=True,
        validate=V.Length(min=1, max=80),
        metadata={"description": "The library system's own id of the fee"},
    )
    card_number = ma.fields.String(required=True, validate=V.Length(min=1, max=32))
    library_code = ma.fields.String(required=True, validate=V.Length(min=1, max=32))
    type = ma.fields.String(required=True, validate=V.Length(min=1, max=32))
    amount = ma.fields.Nested(PositiveMoneySchema, metadata={"description": "Default: the type's amount"})
    description = ma.fields.String(load_default="", validate=V.Length(max=300))


class FeeImportSchema(ma.Schema):
    fees = ma.fields.List(ma.fields.Nested(FeeImportItemSchema), required=True, validate=V.Length(min=1, max=500))

    @ma.validates_schema
    def _unique_ids(self, data, **kwargs):
        ids = [item["external_id"] for item in data.get("fees", [])]
        if len(ids) != len(set(ids)):
            raise ma.ValidationError("each external_id at most once per batch", "fees")


class FeeImportRowSchema(ma.Schema):
    external_id = ma.fields.String()
    result = ma.fields.String(metadata={"description": "created, unchanged or rejected"})
    fee_id = Computed(lambda r: r.fee.public_id if r.fee is not None else None, ma.fields.String(), allow_none=True)
    error = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "unknown_library_code, unknown_card_number, unknown_fee_type, amount_required, "
            "external_id_reused"
        },
    )


class FeeImportResultSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FeeImportRowSchema))


class FeeWaiveSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=V.Length(min=3, max=300))


class FeePaySchema(ma.Schema):
    fee_ids = ma.fields.List(ma.fields.String(**PUBLIC_ID), required=True, validate=V.Length(min=1, max=50))

    @ma.validates_schema
    def _unique(self, data, **kwargs):
        ids = data.get("fee_ids", [])
        if len(ids) != len(set(ids)):
            raise ma.ValidationError("each fee at most once", "fee_ids")


class FeePaymentSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    amount = MoneyField(attribute="money")
    transaction_id = Computed(lambda p: p.entry.public_id, ma.fields.String())
    fees = ma.fields.List(ma.fields.Nested(FeeSchema))
    balance = MoneyField(attribute="balance_after", metadata={"description": "Wallet balance after paying"})
    created_at = UtcDateTime()


class FeePaymentSummarySchema(FeePaymentSchema):
    """A past fee payment (the balance after it is only in the answer to the payment itself)."""

    class Meta:
        exclude = ("balance",)
