"""Request and response schemas of the finance API (money as ``{amount, currency}``, times UTC)."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import validate as V

from backend.money import MoneyField
from backend.pagination import PageArgsSchema
from backend.schema_fields import AwareDateTimeInput, UtcDateTime

MONTH_PATTERN = r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$"


class FinanceMonthSchema(ma.Schema):
    month = ma.fields.String(
        required=True,
        validate=V.Regexp(MONTH_PATTERN),
        metadata={"description": "A calendar month in Europe/Rome, YYYY-MM", "example": "2026-11"},
    )


class ReopenPeriodSchema(ma.Schema):
    reason = ma.fields.String(
        required=True, validate=V.Length(min=3, max=300), metadata={"description": "Why it is reopened (audited)"}
    )


class TrialBalanceLineSchema(ma.Schema):
    account_id = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Public id of the account; null: the network's part of the shared accounts "
            "(key shared:counterpart), or the patrons' accounts of one kind summed (key wallet:patrons, "
            "printing_credit:patrons)"
        },
    )
    kind = ma.fields.String(metadata={"description": "Account kind (wallet, fee_income, network_settlement, …)"})
    key = ma.fields.String(
        metadata={"description": "The account's stable name (kind:owner); patrons' accounts are never named one by one"}
    )
    debit = MoneyField(metadata={"description": "Debit balance (0 when the account is in credit)"})
    credit = MoneyField(metadata={"description": "Credit balance (0 when the account is in debit)"})


class ClosedPeriodSchema(ma.Schema):
    public_id = ma.fields.String(metadata={"description": "Public id of this close (prd_…)"})
    network_id = ma.fields.String(metadata={"description": "Public id of the network"})
    month = ma.fields.String(metadata={"description": "YYYY-MM, Europe/Rome"})
    state = ma.fields.String(validate=V.OneOf(["closed", "reopened"]), metadata={"description": "closed or reopened"})
    starts_at = UtcDateTime(metadata={"description": "First instant of the month (UTC)"})
    ends_at = UtcDateTime(metadata={"description": "First instant of the next month (UTC)"})
    closed_at = UtcDateTime(metadata={"description": "When it was closed"})
    closed_by = ma.fields.String(metadata={"description": "Public id of the staff user who closed it"})
    reopened_at = UtcDateTime(allow_none=True, metadata={"description": "When an admin reopened it"})
    reopened_by = ma.fields.String(allow_none=True, metadata={"description": "The admin who reopened it"})
    reopen_reason = ma.fields.String(allow_none=True, metadata={"description": "Why it was reopened"})


class ClosedPeriodDetailSchema(ClosedPeriodSchema):
    trial_balance = ma.fields.List(
        ma.fields.Nested(TrialBalanceLineSchema),
        metadata={"description": "Every account's closing balance, stored at the close"},
    )
    total_debit = MoneyField(metadata={"description": "Sum of the debit balances (equals total_credit)"})
    total_credit = MoneyField(metadata={"description": "Sum of the credit balances"})


class ClosedPeriodListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ClosedPeriodSchema), metadata={"description": "Closes, newest first"})


class AuditArgsSchema(PageArgsSchema):
    action = ma.fields.String(
        load_default=None,
        validate=V.Length(max=60),
        metadata={"description": "Only actions starting with this (ledger., period., staff., clearing.)"},
    )
    actor = ma.fields.String(
        load_default=None, validate=V.Length(max=64), metadata={"description": "Only this staff user's actions"}
    )
    created_from = AwareDateTimeInput(
        load_default=None, default_timezone=UTC, metadata={"description": "Only from this moment on (inclusive)"}
    )
    created_to = AwareDateTimeInput(
        load_default=None, default_timezone=UTC, metadata={"description": "Only before this moment (exclusive)"}
    )

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("created_from") and data.get("created_to") and data["created_from"] >= data["created_to"]:
            raise ma.ValidationError("must be after created_from", "created_to")


class AuditEventSchema(ma.Schema):
    public_id = ma.fields.String(metadata={"description": "Public id of the event (aud_…)"})
    created_at = UtcDateTime(metadata={"description": "When it happened"})
    actor = ma.fields.String(metadata={"description": "Public id of the staff user"})
    actor_role = ma.fields.String(metadata={"description": "Their role at the time"})
    session_id = ma.fields.String(allow_none=True, metadata={"description": "The sign-in session it came from"})
    channel = ma.fields.String(metadata={"description": "api, console or cli"})
    action = ma.fields.String(metadata={"description": "What was done, e.g. ledger.entry, period.close, staff.create"})
    target = ma.fields.String(allow_none=True, metadata={"description": "Public id of what it acted on"})
    before = ma.fields.Dict(
        keys=ma.fields.String(), allow_none=True, metadata={"description": "The state before (null: none)"}
    )
    after = ma.fields.Dict(keys=ma.fields.String(), allow_none=True, metadata={"description": "The state after"})


class FinanceNetworkSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "Public id of the network"})
    code = ma.fields.String(metadata={"description": "The network's short code"})
    name = ma.fields.String(metadata={"description": "The network's name"})


class ClearingPositionSchema(ma.Schema):
    network = ma.fields.Nested(FinanceNetworkSchema)
    position = MoneyField(metadata={"description": "Net position at the month's end: > 0 it owes the others"})


class ClearingTransferInSchema(ma.Schema):
    bank_reference = ma.fields.String(
        required=True,
        validate=V.Length(min=3, max=140),
        metadata={"description": "The bank transfer's reference (CRO/TRN), as on the bank statement"},
    )


class ClearingTransferSchema(ma.Schema):
    public_id = ma.fields.String(metadata={"description": "Public id of the transfer (ctr_…)"})
    month = ma.fields.String(metadata={"description": "The statement's month, YYYY-MM"})
    payer = ma.fields.Nested(FinanceNetworkSchema, metadata={"description": "The network that pays"})
    payee = ma.fields.Nested(FinanceNetworkSchema, metadata={"description": "The network that is paid"})
    amount = MoneyField(metadata={"description": "How much"})
    state = ma.fields.String(
        validate=V.OneOf(["due", "paid", "superseded"]),
        metadata={"description": "due; paid (booked); superseded (carried into a later statement)"},
    )
    paid_at = UtcDateTime(allow_none=True, metadata={"description": "When it was marked paid"})
    paid_by = ma.fields.String(allow_none=True, metadata={"description": "The staff user who marked it paid"})
    bank_reference = ma.fields.String(allow_none=True, metadata={"description": "The bank transfer's reference"})
    entry_id = ma.fields.String(allow_none=True, metadata={"description": "The ledger entry that booked it (txn_…)"})


class ClearingStatementSummarySchema(ma.Schema):
    public_id = ma.fields.String(metadata={"description": "Public id of the statement (clr_…)"})
    month = ma.fields.String(metadata={"description": "YYYY-MM, Europe/Rome"})
    as_of = UtcDateTime(metadata={"description": "Positions are the balances before this instant (the month's end)"})
    created_at = UtcDateTime(metadata={"description": "When it was drawn up"})
    transfers_due = ma.fields.Integer(metadata={"description": "Transfers not yet paid"})


class ClearingStatementSchema(ClearingStatementSummarySchema):
    positions = ma.fields.List(
        ma.fields.Nested(ClearingPositionSchema), metadata={"description": "Every network with a position"}
    )
    transfers = ma.fields.List(
        ma.fields.Nested(ClearingTransferSchema), metadata={"description": "The netted transfers: at most networks − 1"}
    )
    my_position = MoneyField(metadata={"description": "The caller's network's position (0 when it has none)"})


class ClearingStatementListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ClearingStatementSummarySchema), metadata={"description": "Newest first"})


REPORT_NAMES = (
    "trial_balance",
    "wallet_float",
    "income",
    "card_fees",
    "cash_over_short",
    "journal",
    "treasury",
    "audit",
    "campaign_closings",
    "art_bonus",
)


class FinanceReportArgsSchema(ma.Schema):
    format = ma.fields.String(
        load_default="json",
        validate=V.OneOf(("json", "csv", "csv_it", "xlsx")),
        metadata={
            "description": "json; csv (ISO dates, cents); csv_it (; separated, dd/mm/yyyy, 1.234,56); xlsx",
        },
    )
    lang = ma.fields.String(
        load_default=None,
        validate=V.OneOf(("it", "en")),
        metadata={"description": "Language of the headers; default from Accept-Language"},
    )


class FinanceReportColumnSchema(ma.Schema):
    name = ma.fields.String(metadata={"description": "Machine name of the column"})
    label = ma.fields.String(metadata={"description": "Header in the request's language"})
    type = ma.fields.String(
        validate=V.OneOf(("text", "int", "money", "date", "datetime")),
        metadata={"description": "text; int; money (integer cents); date (YYYY-MM-DD, Europe/Rome); datetime (UTC)"},
    )


class FinanceReportSchema(ma.Schema):
    name = ma.fields.String(metadata={"description": "The report"})
    title = ma.fields.String(metadata={"description": "Its title in the request's language"})
    month = ma.fields.String(metadata={"description": "YYYY-MM, Europe/Rome"})
    currency = ma.fields.String(metadata={"description": "ISO 4217 code of every money column"})
    columns = ma.fields.List(ma.fields.Nested(FinanceReportColumnSchema))
    rows = ma.fields.List(
        ma.fields.List(
            ma.fields.Raw(
                allow_none=True,
                metadata={"type": ["string", "integer"], "description": "A cell, typed by its column"},
            )
        ),
        metadata={"description": "One list of cells per row, in the order of the columns"},
    )


class Psd2VolumeSchema(ma.Schema):
    volume = MoneyField(metadata={"description": "Wallet payments in the window"})
    transactions = ma.fields.Integer(metadata={"description": "How many payments"})
    share = ma.fields.Float(metadata={"description": "Share of the 1,000,000 € threshold (0.8 = 80 %)"})
    level = ma.fields.String(
        validate=V.OneOf(("ok", "warning", "exceeded")),
        metadata={"description": "ok; warning from 80 %; exceeded above the threshold"},
    )


class Psd2MonitorSchema(ma.Schema):
    window_start = UtcDateTime(metadata={"description": "Start of the 12 months"})
    window_end = UtcDateTime(metadata={"description": "End of the 12 months (now)"})
    threshold = MoneyField(metadata={"description": "1,000,000 €"})
    warn_at = MoneyField(metadata={"description": "80 % of the threshold"})
    network = ma.fields.Nested(Psd2VolumeSchema, metadata={"description": "Wallets issued by my network"})
    all_networks = ma.fields.Nested(Psd2VolumeSchema, metadata={"description": "All networks together"})
    draft = ma.fields.String(
        allow_none=True, metadata={"description": "Draft notification to the Banca d'Italia (above the threshold)"}
    )
