"""Request and response bodies of the cash desk endpoints."""

from __future__ import annotations

import marshmallow as ma

from backend.money import MAX_AMOUNT, Money, MoneyField, PositiveMoneySchema, StrictInteger
from backend.schema_fields import Computed, UtcDateTime


class DeskSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    name = ma.fields.String(required=True)
    library_id = Computed(lambda d: d.library.public_id, ma.fields.String(), required=True)
    library_name = Computed(lambda d: d.library.name, ma.fields.String(), required=True)
    open_session_id = ma.fields.String(allow_none=True, dump_default=None)


class DeskListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(DeskSchema), required=True)


class DeskCreateSchema(ma.Schema):
    library_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))


class OpenSessionSchema(ma.Schema):
    opening_float = ma.fields.Nested(
        PositiveMoneySchema, required=True, metadata={"description": "Cash counted in the drawer at opening"}
    )


class ZeroOrMoreMoneySchema(PositiveMoneySchema):
    """Counted cash may be zero."""

    amount = StrictInteger(
        required=True,
        validate=ma.validate.Range(min=0, max=MAX_AMOUNT),
        metadata={"description": "Amount in minor units (cents), 0 or more"},
    )


class CloseSessionSchema(ma.Schema):
    counted = ma.fields.Nested(
        ZeroOrMoreMoneySchema, required=True, metadata={"description": "Cash counted in the drawer at closing"}
    )
    note = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=500), metadata={"description": "Explanation of any difference"}
    )


class PatronCashSchema(ma.Schema):
    card_number = ma.fields.String(
        validate=ma.validate.Length(min=1, max=32), metadata={"description": "Library card number, or:"}
    )
    membership_code = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "Code read from the membership QR in the app"},
    )
    amount = ma.fields.Nested(PositiveMoneySchema, required=True)


class OperationTotalSchema(ma.Schema):
    operation = ma.fields.String(required=True)
    method = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)
    total = MoneyField(required=True)


class CashSessionSchema(ma.Schema):
    id = ma.fields.String(required=True)
    desk_id = ma.fields.String(required=True)
    library_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open or closed"})
    opened_by = ma.fields.String(required=True)
    opened_at = UtcDateTime(required=True)
    opening_float = MoneyField(required=True)
    totals = ma.fields.List(
        ma.fields.Nested(OperationTotalSchema),
        required=True,
        metadata={"description": "Totals by operation and method"},
    )
    topups = MoneyField(required=True)
    payouts = MoneyField(required=True)
    expected = MoneyField(
        required=True,
        metadata={
            "description": "Float + cash taken in (top-ups, shop sales) − cash given out (payouts, shop refunds)"
        },
    )
    counted = MoneyField(allow_none=True)
    difference = MoneyField(
        allow_none=True, metadata={"description": "Counted − expected: positive surplus, negative deficit"}
    )
    note = ma.fields.String(required=True)
    closed_by = ma.fields.String(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)


def session_body(cash_session, totals) -> dict:
    cur = cash_session.currency
    return {
        "id": cash_session.public_id,
        "desk_id": cash_session.desk.public_id,
        "library_id": cash_session.desk.library.public_id,
        "status": cash_session.status,
        "opened_by": cash_session.opened_by.name,
        "opened_at": cash_session.created_at,
        "opening_float": Money(cash_session.opening_float, cur),
        "totals": totals.by_operation,
        "topups": totals.topups,
        "payouts": totals.payouts,
        "expected": totals.expected,
        "counted": Money(cash_session.counted_amount, cur) if cash_session.counted_amount is not None else None,
        "difference": Money(cash_session.difference, cur) if cash_session.difference is not None else None,
        "note": cash_session.note or "",
        "closed_by": cash_session.closed_by.name if cash_session.closed_by else None,
        "closed_at": cash_session.closed_at,
    }


class DeskOperationSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(
        required=True, metadata={"description": "cash_topup, cash_payout, shop_sale or shop_refund"}
    )
    method = ma.fields.String(required=True)
    amount = MoneyField(required=True)
    patron_card_number = ma.fields.String(required=True)
    patron_name = ma.fields.String(required=True)
    balance_after = MoneyField(required=True)
    receipt_id = ma.fields.String(required=True)
    receipt_number = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


def operation_body(op, receipt) -> dict:
    return {
        "id": op.public_id,
        "kind": op.kind,
        "method": op.method,
        "amount": Money(op.amount, op.currency),
        "patron_card_number": op.patron.card_number,
        "patron_name": op.patron.display_name,
        "balance_after": Money(receipt.balance_after, receipt.currency),
        "receipt_id": receipt.public_id,
        "receipt_number": receipt.number,
        "created_at": op.created_at,
    }


class PayableSchema(ma.Schema):
    card_number = ma.fields.String(required=True)
    patron_name = ma.fields.String(required=True)
    balance = MoneyField(required=True)
    payable_in_cash = MoneyField(required=True)


class PatronLookupArgs(ma.Schema):
    card_number = ma.fields.String(validate=ma.validate.Length(min=1, max=32))
    membership_code = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
