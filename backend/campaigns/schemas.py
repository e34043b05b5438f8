"""Request and response shapes of the +Teca API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.campaigns.models import (
    CampaignState,
    DonationState,
    FundingModel,
    Interval,
    MessageStatus,
    Method,
    RecurringState,
    Visibility,
)
from backend.campaigns.services import SORTS
from backend.events.schemas import LOCAL_TIME_HELP
from backend.events.times import to_utc
from backend.money import MoneyField, PositiveMoneySchema
from backend.pagination import PageArgsSchema
from backend.schema_fields import DateTimeInput, StrictBoolean, UtcDateTime
from backend.topups.schemas import PaymentSheetSchema, SandboxPayArgs  # noqa: F401 - shared with top-ups

_URL = fields.Url(schemes={"https"}, validate=validate.Length(max=500))


class LocalDateTime(DateTimeInput):
    """A moment typed by an owner: without an offset it is Europe/Rome wall-clock time; stored UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return to_utc(super()._deserialize(value, attr, data, **kwargs))


# --- owners: requests -------------------------------------------------------------------


class _CampaignFields(ma.Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    story = fields.String(validate=validate.Length(max=20_000))
    images = fields.List(
        fields.Url(schemes={"https"}, validate=validate.Length(max=500)),
        validate=validate.Length(max=12),
        metadata={"description": "https image URLs"},
    )
    good_causes = fields.List(fields.String(validate=validate.Length(min=1, max=200)), validate=validate.Length(max=12))
    goal = fields.Nested(PositiveMoneySchema, metadata={"description": "Fixed at launch"})
    deadline = LocalDateTime(metadata={"description": f"Fixed at launch. {LOCAL_TIME_HELP}"})
    model = fields.String(
        validate=validate.OneOf(list(FundingModel)),
        metadata={"description": "keep_it_all (default) or all_or_nothing; fixed at launch"},
    )
    art_bonus = StrictBoolean(metadata={"description": "Donations qualify for the Art Bonus; fixed at launch"})
    art_bonus_beneficiary = fields.String(
        validate=validate.Length(max=300), metadata={"description": "The public body receiving, as on the receipt"}
    )
    art_bonus_purpose = fields.String(
        validate=validate.Length(max=500), metadata={"description": "The purpose, as on the receipt"}
    )
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))


class CampaignCreateSchema(_CampaignFields):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    goal = fields.Nested(PositiveMoneySchema, required=True, metadata={"description": "Fixed at launch"})
    deadline = LocalDateTime(required=True, metadata={"description": f"Fixed at launch. {LOCAL_TIME_HELP}"})
    library_id = fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "Owner library (or network_id for a network campaign)"},
    )
    network_id = fields.String(
        validate=validate.Length(max=40), metadata={"description": "Owner network (admins), when no library_id"}
    )

    @ma.validates_schema
    def _one_owner(self, data, **kwargs):
        if bool(data.get("library_id")) == bool(data.get("network_id")):
            raise ma.ValidationError("Give library_id or network_id.", "library_id")


class CampaignEditSchema(_CampaignFields):
    pass


class CampaignUpdateInSchema(ma.Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    image_url = fields.Url(schemes={"https"}, allow_none=True, validate=validate.Length(max=500))
    results = fields.String(
        load_default="", validate=validate.Length(max=10_000), metadata={"description": "Results achieved"}
    )
    final_report = StrictBoolean(
        load_default=False, metadata={"description": "The final report, after the deadline: closes the campaign"}
    )


class ModerationSchema(ma.Schema):
    approve = StrictBoolean(required=True, metadata={"description": "true shows the message on the wall"})


class ManageListArgsSchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(list(CampaignState)))


class StaffDonationArgsSchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(list(DonationState)))
    message_status = fields.String(validate=validate.OneOf(list(MessageStatus)))


class ReportArgsSchema(ma.Schema):
    library_id = fields.String(validate=validate.Length(max=40))
    network_id = fields.String(validate=validate.Length(max=40))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    month = fields.Integer(required=True, validate=validate.Range(min=1, max=12))

    @ma.validates_schema
    def _one_owner(self, data, **kwargs):
        if bool(data.get("library_id")) == bool(data.get("network_id")):
            raise ma.ValidationError("Give library_id or network_id.", "library_id")


class PlanInSchema(ma.Schema):
    price = fields.Nested(PositiveMoneySchema, required=True)
    active = StrictBoolean(load_default=True)


# --- patrons: requests ---------------------------------------------------------------------


class DiscoverArgsSchema(PageArgsSchema):
    library_id = fields.String(validate=validate.Length(max=40), metadata={"description": "Of this library"})
    network_id = fields.String(validate=validate.Length(max=40), metadata={"description": "Of this network"})
    lat = fields.Float(validate=validate.Range(min=-90, max=90), metadata={"description": "Near this point"})
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(validate=validate.Range(min=0.1, max=200), metadata={"description": "Default 10"})
    sort = fields.String(
        load_default="ending_soon",
        validate=validate.OneOf(SORTS),
        metadata={"description": "ending_soon (default), most_funded or newest"},
    )


class DonationRequestSchema(ma.Schema):
    amount = fields.Nested(PositiveMoneySchema, required=True)
    method = fields.String(
        load_default=Method.WALLET,
        validate=validate.OneOf(list(Method)),
        metadata={"description": "wallet (default) or card (returns a payment sheet)"},
    )
    visibility = fields.String(
        load_default=Visibility.NAME_AND_AMOUNT,
        validate=validate.OneOf(list(Visibility)),
        metadata={"description": "What the donor wall shows: name_and_amount, name_only or anonymous"},
    )
    message = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "Shown on the wall once the owner approves it"},
    )
    art_bonus = StrictBoolean(load_default=False, metadata={"description": "I want an Art Bonus receipt"})
    tax_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "Codice fiscale, required with art_bonus (kept only for it)"},
    )


class RecurringRequestSchema(ma.Schema):
    amount = fields.Nested(PositiveMoneySchema, required=True)
    interval = fields.String(required=True, validate=validate.OneOf(list(Interval)))
    visibility = fields.String(load_default=Visibility.NAME_AND_AMOUNT, validate=validate.OneOf(list(Visibility)))
    art_bonus = StrictBoolean(
        load_default=False, metadata={"description": "I want an Art Bonus receipt for every donation it makes"}
    )
    tax_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={
            "description": "Codice fiscale, required with art_bonus (kept only for its receipts, "
            "erased when the recurring donation stops)"
        },
    )


class SupporterCardRequestSchema(ma.Schema):
    network_id = fields.String(required=True, validate=validate.Length(max=40))
    method = fields.String(load_default=Method.WALLET, validate=validate.OneOf(list(Method)))


class SummaryArgsSchema(ma.Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


# --- responses ------------------------------------------------------------------------------


class ProgressSchema(ma.Schema):
    raised = MoneyField(required=True, metadata={"description": "Gross: collected plus pledged"})
    goal = MoneyField(required=True)
    donors = fields.Integer(required=True)
    percent = fields.Integer(required=True, metadata={"description": "Of the goal, may exceed 100"})
    days_left = fields.Integer(required=True)
    goal_reached = fields.Boolean(required=True)


class OwnerSchema(ma.Schema):
    network_id = fields.String(required=True)
    library_id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)


class CampaignSchema(ma.Schema):
    id = fields.String(required=True, attribute="public_id")
    state = fields.String(required=True, metadata={"description": "draft, live, funded, not_funded or closed"})
    owner = fields.Nested(OwnerSchema, required=True)
    title = fields.String(required=True)
    story = fields.String(required=True)
    images = fields.List(fields.String(), required=True)
    good_causes = fields.List(fields.String(), required=True)
    model = fields.String(required=True)
    deadline = UtcDateTime(required=True)
    art_bonus = fields.Boolean(required=True)
    art_bonus_beneficiary = fields.String(required=True)
    art_bonus_purpose = fields.String(required=True)
    latitude = fields.Float(required=True, allow_none=True)
    longitude = fields.Float(required=True, allow_none=True)
    progress = fields.Nested(ProgressSchema, required=True)
    final_report = fields.String(required=True)
    launched_at = UtcDateTime(required=True, allow_none=True)
    following = fields.Boolean(
        required=True, allow_none=True, metadata={"description": "Whether I follow it (patrons; null otherwise)"}
    )


class CampaignUpdateSchema(ma.Schema):
    id = fields.String(required=True, attribute="public_id")
    body = fields.String(required=True)
    image_url = fields.String(required=True, allow_none=True)
    results = fields.String(required=True)
    is_final_report = fields.Boolean(required=True)
    author_name = fields.String(required=True)
    created_at = UtcDateTime(required=True)


class WallEntrySchema(ma.Schema):
    id = fields.String(
        required=True,
        metadata={
            "description": "The entry's id on the wall (`wall_…`), as `next_cursor` names it: not the donation's id, "
            "which the wall never shows"
        },
    )
    donor_name = fields.String(required=True, allow_none=True, metadata={"description": "null when anonymous"})
    anonymous = fields.Boolean(required=True)
    amount = MoneyField(required=True, allow_none=True, metadata={"description": "null when the donor chose name only"})
    message = fields.String(required=True, allow_none=True, metadata={"description": "Only once approved"})
    created_at = UtcDateTime(required=True)


class StaffDonationSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "The donation's id (`don_…`), as moderation takes it"})
    donor_name = fields.String(required=True, allow_none=True, metadata={"description": "null when anonymous"})
    visibility = fields.String(required=True)
    amount = MoneyField(required=True)
    method = fields.String(required=True)
    state = fields.String(required=True)
    message = fields.String(required=True, allow_none=True)
    message_status = fields.String(required=True)
    art_bonus_requested = fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)


class DonationSchema(ma.Schema):
    id = fields.String(required=True, attribute="public_id")
    campaign_id = fields.String(required=True, allow_none=True, metadata={"description": "null for a supporter card"})
    purpose = fields.String(required=True, metadata={"description": "campaign or supporter_card"})
    amount = MoneyField(required=True, attribute="money")
    method = fields.String(required=True)
    state = fields.String(
        required=True,
        metadata={
            "description": "pending (card), pledged (all-or-nothing hold), succeeded, failed, released, "
            "refund_pending, refunded"
        },
    )
    visibility = fields.String(required=True)
    message = fields.String(required=True, allow_none=True)
    message_status = fields.String(required=True)
    art_bonus = fields.Boolean(required=True, attribute="art_bonus_requested")
    art_bonus_eligible = MoneyField(
        required=True,
        allow_none=True,
        metadata={"description": "Eligible part once collected (cash-funded part excluded)"},
    )
    receipt_number = fields.String(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)


class StartedDonationSchema(ma.Schema):
    donation = fields.Nested(DonationSchema, required=True)
    payment_sheet = fields.Nested(
        PaymentSheetSchema,
        required=True,
        allow_none=True,
        metadata={"description": "For method card: what the app's PaymentSheet needs"},
    )


class RecurringSchema(ma.Schema):
    id = fields.String(required=True, attribute="public_id")
    campaign_id = fields.String(required=True)
    amount = MoneyField(required=True)
    interval = fields.String(required=True)
    visibility = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": ", ".join(RecurringState)})
    art_bonus = fields.Boolean(
        required=True, metadata={"description": "Each donation it makes gets an Art Bonus receipt"}
    )
    next_run_at = UtcDateTime(required=True)
    failures = fields.Integer(required=True)


class SupporterCardSchema(ma.Schema):
    id = fields.String(required=True, attribute="public_id")
    network_id = fields.String(required=True)
    network_name = fields.String(required=True)
    valid_from = UtcDateTime(required=True)
    valid_until = UtcDateTime(required=True)
    valid_now = fields.Boolean(required=True)
    donation_id = fields.String(required=True)


class SupporterCardListSchema(ma.Schema):
    data = fields.List(fields.Nested(SupporterCardSchema), required=True)


class StartedSupporterCardSchema(ma.Schema):
    donation = fields.Nested(DonationSchema, required=True)
    card = fields.Nested(
        SupporterCardSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Issued at once from the wallet; by card once paid"},
    )
    payment_sheet = fields.Nested(PaymentSheetSchema, required=True, allow_none=True)


class PlanSchema(ma.Schema):
    network_id = fields.String(required=True)
    price = MoneyField(required=True)
    active = fields.Boolean(required=True)


class SummaryItemSchema(ma.Schema):
    donation_id = fields.String(required=True)
    receipt_number = fields.String(required=True, allow_none=True)
    date = UtcDateTime(required=True)
    beneficiary = fields.String(required=True)
    purpose = fields.String(required=True)
    amount = MoneyField(required=True)
    method = fields.String(required=True)
    art_bonus = fields.Boolean(required=True)
    art_bonus_eligible = MoneyField(required=True)


class SummarySchema(ma.Schema):
    year = fields.Integer(required=True)
    total = MoneyField(required=True)
    art_bonus_eligible = MoneyField(required=True)
    donations = fields.List(fields.Nested(SummaryItemSchema), required=True)


class ReportRowSchema(ma.Schema):
    receipt_number = fields.String(required=True)
    date = UtcDateTime(required=True)
    campaign_id = fields.String(required=True)
    campaign_title = fields.String(required=True)
    donor_name = fields.String(required=True)
    tax_code = fields.String(required=True, allow_none=True)
    amount = MoneyField(required=True)
    art_bonus_eligible = MoneyField(required=True)
    method = fields.String(required=True)
    anonymous = fields.Boolean(
        required=True, metadata={"description": "The donor chose not to be shown: never publish"}
    )


class ReportSchema(ma.Schema):
    owner = fields.String(required=True)
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    total = MoneyField(required=True)
    total_eligible = MoneyField(required=True)
    donations = fields.List(fields.Nested(ReportRowSchema), required=True)
