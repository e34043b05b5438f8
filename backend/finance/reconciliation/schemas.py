"""Request and response bodies of the reconciliation, cash and partner settlement endpoints."""

from __future__ import annotations

import marshmallow as ma

from backend.finance.reconciliation.models import ItemState, Outcome, RunState, SettlementState, Source
from backend.money import Money, MoneyField, PositiveMoneySchema
from backend.pagination import PageArgsSchema
from backend.schema_fields import Computed, DateInput, UtcDateTime


def _money(attr: str, description: str, **kwargs):
    return Computed(
        lambda o: Money(getattr(o, attr), o.currency),
        MoneyField(),
        required=True,
        metadata={"description": description},
    )


class ReconciliationRunSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    source = ma.fields.String(required=True, validate=ma.validate.OneOf(list(Source)))
    external_ref = ma.fields.String(
        required=True, metadata={"description": "The statement's own id (a Stripe payout id)"}
    )
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(RunState)))
    statement_amount = _money("statement_amount", "What reached the bank")
    gross_amount = _money("gross_amount", "Sum of the statement's lines before fees")
    fee_amount = _money("fee_amount", "What the source kept (booked as an expense)")
    statement_date = ma.fields.Date(required=True, metadata={"description": "When the money reached the bank"})
    cutoff_at = UtcDateTime(
        required=True, metadata={"description": "Our bookings up to here should be in this or an earlier statement"}
    )
    matched_count = ma.fields.Integer(required=True)
    exception_count = ma.fields.Integer(required=True)
    open_exception_count = ma.fields.Integer(required=True)
    run_count = ma.fields.Integer(required=True, metadata={"description": "How many times it was matched"})
    last_run_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)


class ReconciliationRefSchema(ma.Schema):
    side = ma.fields.String(required=True, validate=ma.validate.OneOf(["ours", "external"]))
    ref = ma.fields.String(
        required=True, metadata={"description": "A statement line's id, or our journal entry's public id"}
    )
    label = ma.fields.String(required=True, metadata={"description": "Our top-up, donation or refund behind it"})
    amount = Computed(lambda r: Money(r.amount, r.item.currency), MoneyField(), required=True)


class ReconciliationItemSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(list(Outcome)))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(ItemState)))
    kind = ma.fields.String(required=True, metadata={"description": "payment, refund, dispute, fee, adjustment, other"})
    match_key = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "What both sides are keyed by (payment intent id)"}
    )
    external_amount = _money("external_amount", "Sum of the statement's lines in this item")
    our_amount = _money("our_amount", "Sum of our bookings in this item")
    difference = _money("difference", "external_amount - our_amount")
    difference_entry_id = Computed(
        lambda i: i.difference_entry.public_id if i.difference_entry is not None else None,
        ma.fields.String(),
        required=True,
        allow_none=True,
        metadata={
            "description": "A match within the tolerance whose amounts differ: the journal entry that booked "
            "the difference (to reconciliation_differences)"
        },
    )
    network = Computed(
        lambda i: i.network.code if i.network is not None else None,
        ma.fields.String(),
        required=True,
        allow_none=True,
        metadata={"description": "Code of the network whose money it is (card money of every network comes here)"},
    )
    refs = ma.fields.List(ma.fields.Nested(ReconciliationRefSchema), required=True)
    note = ma.fields.String(required=True, metadata={"description": "How finance resolved it"})
    resolved_by = ma.fields.String(required=True, allow_none=True)
    resolved_at = UtcDateTime(required=True, allow_none=True)


class ReconciliationRunListArgs(PageArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(list(RunState)))
    source = ma.fields.String(validate=ma.validate.OneOf(list(Source)))


class ReconciliationItemListArgs(PageArgsSchema):
    exceptions_only = ma.fields.Boolean(
        load_default=False, metadata={"description": "Only what did not match (open or resolved)"}
    )
    status = ma.fields.String(validate=ma.validate.OneOf(list(ItemState)))


class ResolveExceptionSchema(ma.Schema):
    note = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=1000),
        metadata={"description": "How the exception was resolved (kept for good)"},
    )


# --- cash ----------------------------------------------------------------------------


class CashDayArgs(ma.Schema):
    day = DateInput(required=True, metadata={"description": "The day, Europe/Rome"})
    library_id = ma.fields.String(validate=ma.validate.Length(min=1, max=40))


class CashSessionLineSchema(ma.Schema):
    session_id = ma.fields.String(required=True)
    desk_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    closed_at = UtcDateTime(required=True, allow_none=True)
    expected = MoneyField(required=True, allow_none=True)
    counted = MoneyField(required=True, allow_none=True)
    difference = MoneyField(required=True, allow_none=True)
    to_bank = MoneyField(required=True, allow_none=True, metadata={"description": "Counted minus the opening float"})
    handed_over = ma.fields.Boolean(required=True, metadata={"description": "Its cash left the drawer for the bank"})
    deposit_id = ma.fields.String(required=True, allow_none=True)


class CashLibraryDaySchema(ma.Schema):
    library_id = ma.fields.String(required=True)
    library_name = ma.fields.String(required=True)
    expected = MoneyField(required=True)
    counted = MoneyField(required=True)
    difference = MoneyField(required=True)
    in_transit = MoneyField(required=True, metadata={"description": "Cash out of the drawers, not yet deposited"})
    sessions = ma.fields.List(ma.fields.Nested(CashSessionLineSchema), required=True)


class CashDaySchema(ma.Schema):
    day = ma.fields.Date(required=True)
    libraries = ma.fields.List(ma.fields.Nested(CashLibraryDaySchema), required=True)


class DepositCreateSchema(ma.Schema):
    library_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    amount = ma.fields.Nested(PositiveMoneySchema, required=True, metadata={"description": "As on the bank's slip"})
    deposited_on = DateInput(required=True, metadata={"description": "Date on the slip"})
    slip_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    session_ids = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=40)),
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Closed cash sessions whose cash the deposit carries"},
    )
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class DepositSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    library_id = Computed(lambda d: d.library.public_id, ma.fields.String(), required=True)
    amount = _money("amount", "As on the bank's slip")
    carried = _money("carried_amount", "What the sessions handed over")
    difference = _money("difference", "amount - carried (0 when the slip matches)")
    deposited_on = ma.fields.Date(required=True)
    slip_number = ma.fields.String(required=True)
    session_ids = ma.fields.List(ma.fields.String(), attribute="session_public_ids", required=True)
    note = ma.fields.String(required=True)
    recorded_by = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


class HandoverCreateSchema(ma.Schema):
    session_ids = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=40)),
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Closed cash sessions whose cash leaves the drawers for the bank"},
    )


class HandoverSchema(ma.Schema):
    session_id = Computed(lambda h: h.cash_session.public_id, ma.fields.String(), required=True)
    amount = _money("amount", "Cash now in transit to the bank")


class HandoverListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(HandoverSchema), required=True)


class DepositListArgs(PageArgsSchema):
    library_id = ma.fields.String(validate=ma.validate.Length(min=1, max=40))


# --- partner settlements ----------------------------------------------------------------


class SettlementComputeSchema(ma.Schema):
    month = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"),
        metadata={"description": "YYYY-MM, Europe/Rome"},
    )


class SettlementSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    partner_id = Computed(lambda s: s.partner.public_id, ma.fields.String(), required=True)
    partner_name = Computed(lambda s: s.partner.name, ma.fields.String(), required=True)
    month = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(SettlementState)))
    reimbursements = _money("reimbursements", "Offers reimbursed to the partner, within the budget cap")
    till_payments = _money("till_payments", "Wallet payments at the partner's till")
    refunds = _money("refunds", "Till payments refunded to patrons")
    commission = _money("commission", "The network's commission")
    total = _money("total", "What the network transfers to the partner")
    carried_in = _money("carried_in", "Refunds beyond what an earlier month owed, netted in this one")
    carried_forward = _money(
        "carried_forward", "What this month's refunds exceed: nothing is transferred, the next month nets it"
    )
    carried_from_month = Computed(
        lambda s: s.carried_from.month if s.carried_from is not None else None,
        ma.fields.String(),
        required=True,
        allow_none=True,
        metadata={"description": "The month whose carry this settlement nets (YYYY-MM), if any"},
    )
    approved_by = ma.fields.String(required=True, allow_none=True)
    approved_at = UtcDateTime(required=True, allow_none=True)
    paid_at = UtcDateTime(required=True, allow_none=True)
    transfer_reference = ma.fields.String(required=True, allow_none=True)


class SettlementListArgs(ma.Schema):
    month = ma.fields.String(validate=ma.validate.Regexp(r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"))


class SettlementListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(SettlementSchema), required=True)


class MarkPaidSchema(ma.Schema):
    transfer_reference = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=140),
        metadata={"description": "The bank transfer's reference (CRO/TRN)"},
    )
