"""Request and response shapes of the partners API (every property typed for the app's clients)."""

from __future__ import annotations

import re
from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from backend.events.schemas import JwksSchema
from backend.money import Money, MoneyField, PositiveMoneySchema, StrictInteger
from backend.pagination import PageArgsSchema
from backend.partners.models import AGE_BANDS, BEARERS, BENEFIT_KINDS, REIMBURSEMENT_RULES, VENUE_KINDS
from backend.schema_fields import AwareDateTimeInput, Computed, StrictBoolean, UtcDateTime

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_QUANTITY = 20
MAX_BATCH = 500


def _money_of(cents_attr: str) -> Computed:
    """Dumps an integer column in cents as money, with the object's currency."""
    return Computed(lambda obj: Money(getattr(obj, cents_attr), getattr(obj, "currency", "EUR")), MoneyField())


# --- admin: partners, venues, agreements, offers -------------------------------------------


class PartnerInSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tax_code = fields.String(
        required=True,
        validate=validate.Length(min=11, max=16),
        metadata={"description": "Partita IVA (11 digits) or codice fiscale"},
    )
    iban = fields.String(required=True, validate=validate.Length(min=15, max=42))
    contact_name = fields.String(load_default="", validate=validate.Length(max=200))
    contact_email = fields.Email(validate=validate.Length(max=254))
    contact_phone = fields.String(load_default="", validate=validate.Length(max=32))
    wallet_payments = StrictBoolean(load_default=False, metadata={"description": "Pay at the till with the wallet"})


class PartnerPatchSchema(ma.Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    tax_code = fields.String(validate=validate.Length(min=11, max=16))
    iban = fields.String(validate=validate.Length(min=15, max=42))
    contact_name = fields.String(validate=validate.Length(max=200))
    contact_email = fields.Email(validate=validate.Length(max=254))
    contact_phone = fields.String(validate=validate.Length(max=32))
    wallet_payments = StrictBoolean()


class PartnerVenueSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    name = fields.String()
    kind = fields.String(metadata={"enum": list(VENUE_KINDS)})
    city = fields.String()
    address = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    opening_hours = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.List(fields.String())),
        metadata={"description": 'Europe/Rome hours by weekday, e.g. {"mon": [["15:00", "23:00"]]}'},
    )


class PartnerSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    name = fields.String()
    tax_code = fields.String()
    iban = fields.String()
    contact_name = fields.String()
    contact_email = fields.String()
    contact_phone = fields.String()
    wallet_payments = fields.Boolean()
    venues = fields.List(fields.Nested(PartnerVenueSchema))


class VenueInSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(VENUE_KINDS))
    city = fields.String(load_default="", validate=validate.Length(max=120))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    opening_hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])),
        values=fields.List(
            fields.List(fields.String(validate=validate.Regexp(_HHMM)), validate=validate.Length(equal=2))
        ),
        load_default=dict,
    )


class AgreementInSchema(ma.Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    valid_from = fields.Date(required=True, validate=validate.Range(min=date(2000, 1, 1), max=date(2999, 12, 31)))
    valid_to = fields.Date(required=True, validate=validate.Range(min=date(2000, 1, 1), max=date(2999, 12, 31)))
    eligible_network_ids = fields.List(
        fields.String(validate=validate.Length(max=40)),
        validate=validate.Length(max=50),
        load_default=list,
        metadata={"description": "Whose patrons are eligible (default: the admin's network)"},
    )
    budget_cap = StrictInteger(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=10**10),
        metadata={"description": "Most the network reimburses in the period, in cents"},
    )


class AgreementSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    partner_id = Computed(lambda a: a.partner.public_id, fields.String())
    network_id = Computed(lambda a: a.network.public_id, fields.String())
    title = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date()
    eligible_network_ids = Computed(lambda a: [n.public_id for n in a.eligible_networks], fields.List(fields.String()))
    budget_cap = Computed(
        lambda a: None if a.budget_cap is None else Money(a.budget_cap, a.currency), MoneyField(), allow_none=True
    )
    reimbursed = _money_of("reimbursed")
    state = fields.String(metadata={"enum": ["active", "revoked"]})
    revoked_at = UtcDateTime(allow_none=True)


class OfferInSchema(ma.Schema):
    title_it = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    conditions_it = fields.String(load_default="", validate=validate.Length(max=4000))
    conditions_en = fields.String(load_default="", validate=validate.Length(max=4000))
    category = fields.String(required=True, validate=validate.OneOf(VENUE_KINDS))
    venue_ids = fields.List(
        fields.String(validate=validate.Length(max=40)), required=True, validate=validate.Length(min=1, max=100)
    )
    benefit_kind = fields.String(required=True, validate=validate.OneOf(BENEFIT_KINDS))
    benefit_value = StrictInteger(
        load_default=0,
        validate=validate.Range(min=0, max=10**7),
        metadata={
            "description": "percent_off: percent; amount_off: cents off each; fixed_price: cents each; otherwise 0"
        },
    )
    max_quantity = StrictInteger(validate=validate.Range(min=1, max=MAX_QUANTITY))
    weekdays = fields.List(
        StrictInteger(validate=validate.Range(min=1, max=7)),
        load_default=list,
        metadata={"description": "ISO weekdays (1 = Monday); empty: every day"},
    )
    time_from = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(_HHMM))
    time_to = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(_HHMM))
    valid_from = fields.Date(required=True, validate=validate.Range(min=date(2000, 1, 1), max=date(2999, 12, 31)))
    valid_to = fields.Date(required=True, validate=validate.Range(min=date(2000, 1, 1), max=date(2999, 12, 31)))
    network_ids = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    library_ids = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    age_bands = fields.List(fields.String(validate=validate.OneOf(AGE_BANDS)), load_default=list)
    requires_supporter_card = StrictBoolean(load_default=False)
    per_patron_day = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(min=1, max=1000))
    per_patron_week = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(min=1, max=1000))
    per_patron_month = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(min=1, max=1000))
    per_patron_total = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(min=1, max=100_000))
    total_limit = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(min=1, max=10**7))
    bearer = fields.String(load_default="partner", validate=validate.OneOf(BEARERS))
    reimbursement_rule = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(REIMBURSEMENT_RULES))
    reimbursement_value = StrictInteger(
        load_default=0,
        validate=validate.Range(min=0, max=10**7),
        metadata={"description": "percent: percent of the list price; fixed: cents per redemption"},
    )

    @ma.validates_schema
    def _hours(self, data, **kwargs):
        if data.get("time_from") and data.get("time_to") and data["time_from"] >= data["time_to"]:
            raise ma.ValidationError("time_from must be before time_to.", "time_to")


class OfferSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    agreement_id = Computed(lambda o: o.agreement.public_id, fields.String())
    partner_name = Computed(lambda o: o.agreement.partner.name, fields.String())
    title_it = fields.String()
    title_en = fields.String()
    conditions_it = fields.String()
    conditions_en = fields.String()
    category = fields.String(metadata={"enum": list(VENUE_KINDS)})
    benefit_kind = fields.String(metadata={"enum": list(BENEFIT_KINDS)})
    benefit_value = fields.Integer()
    max_quantity = fields.Integer()
    weekdays = fields.List(fields.Integer())
    time_from = fields.String(allow_none=True)
    time_to = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date()
    age_bands = fields.List(fields.String())
    requires_supporter_card = fields.Boolean()
    per_patron_day = fields.Integer(allow_none=True)
    per_patron_week = fields.Integer(allow_none=True)
    per_patron_month = fields.Integer(allow_none=True)
    per_patron_total = fields.Integer(allow_none=True)
    total_limit = fields.Integer(allow_none=True)
    bearer = fields.String(metadata={"enum": list(BEARERS)})
    state = fields.String(metadata={"enum": ["active", "revoked"]})
    venues = fields.List(fields.Nested(PartnerVenueSchema))


class AllowanceSchema(ma.Schema):
    uses_left = fields.Integer(allow_none=True, metadata={"description": "None: unlimited"})
    resets_at = UtcDateTime(allow_none=True, metadata={"description": "When the binding limit resets (None: never)"})
    period = fields.String(allow_none=True, metadata={"enum": ["day", "week", "month", "total", "offer", None]})
    limit = fields.Integer(allow_none=True)


class OfferForPatronSchema(ma.Schema):
    offer = fields.Nested(OfferSchema)
    eligible = fields.Boolean()
    ineligible_reason = fields.String(
        allow_none=True, metadata={"enum": ["network", "home_library", "age_band", "supporter_card", None]}
    )
    valid_now = fields.Boolean(metadata={"description": "Usable at this moment (day, hours, dates)"})
    allowance = fields.Nested(AllowanceSchema)


class OfferSearchArgsSchema(PageArgsSchema):
    category = fields.String(validate=validate.OneOf(VENUE_KINDS))
    venue_id = fields.String(validate=validate.Length(max=40))
    q = fields.String(validate=validate.Length(min=1, max=100))
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(validate=validate.Range(min=0.1, max=200))


# --- passes -----------------------------------------------------------------------------------


class PassRequestSchema(ma.Schema):
    device_key = fields.String(
        required=True,
        validate=validate.Length(min=40, max=64),
        metadata={"description": "The phone's Ed25519 public key, raw 32 bytes in base64url"},
    )


class HolderSchema(ma.Schema):
    first_name = fields.String()
    initial = fields.String()
    age_band = fields.String(allow_none=True, metadata={"enum": [*AGE_BANDS, None]})


class PassSchema(ma.Schema):
    id = Computed(lambda p: p.pass_.public_id, fields.String())
    token = fields.String(
        metadata={
            "description": "Signed pass (EdDSA JWT). Show "
            "`<token>~<unix minute>~<device signature of bxp1:<id>:<minute>>`"
        }
    )
    expires_at = Computed(lambda p: p.pass_.expires_at, UtcDateTime())
    server_time = UtcDateTime(metadata={"description": "Sign minutes with this clock (offset from the phone's)"})
    short_code = Computed(
        lambda p: p.pass_.short_code, fields.String(), metadata={"description": "Typed code: `<short_code>-<TOTP>`"}
    )
    otp_secret = Computed(
        lambda p: p.pass_.otp_secret, fields.String(), metadata={"description": "Base32 TOTP secret (60 s, 6 digits)"}
    )
    holder = fields.Nested(HolderSchema)


# The same JWKS shape as ticket keys.
PassJwksSchema = JwksSchema


class RevocationListSchema(ma.Schema):
    generated_at = UtcDateTime()
    passes = fields.List(fields.String())
    offers = fields.List(fields.String())
    agreements = fields.List(fields.String())


# --- till ---------------------------------------------------------------------------------------


class RedeemSchema(ma.Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    venue_id = fields.String(required=True, validate=validate.Length(max=40))
    offer_id = fields.String(required=True, validate=validate.Length(max=40))
    list_price = fields.Nested(PositiveMoneySchema, required=True, metadata={"description": "Price of one ticket"})
    quantity = StrictInteger(load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY))
    scan_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))


class OfflineRedemptionSchema(RedeemSchema):
    scan_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    scanned_at = AwareDateTimeInput(required=True, metadata={"description": "When the till scanned it (with offset)"})


class RedemptionBatchSchema(ma.Schema):
    scans = fields.List(
        fields.Nested(OfflineRedemptionSchema), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )


class RedemptionSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    offer_id = Computed(lambda r: r.offer.public_id, fields.String())
    offer_title_it = Computed(lambda r: r.offer.title_it, fields.String())
    offer_title_en = Computed(lambda r: r.offer.title_en, fields.String())
    venue_id = Computed(lambda r: r.venue.public_id, fields.String())
    venue_name = Computed(lambda r: r.venue.name, fields.String())
    channel = fields.String(metadata={"enum": ["online", "offline"]})
    scan_id = fields.String(allow_none=True)
    scanned_at = UtcDateTime()
    quantity = fields.Integer()
    list_price = _money_of("list_price")
    discount = _money_of("discount")
    price_to_pay = _money_of("price_to_pay")
    reimbursement = _money_of("reimbursement")
    state = fields.String(metadata={"enum": ["accepted", "flagged", "approved", "rejected"]})
    flag_reason = fields.String(allow_none=True)


class RedeemResultSchema(ma.Schema):
    outcome = fields.String(metadata={"enum": ["accepted", "flagged", "already_recorded"]})
    redemption = fields.Nested(RedemptionSchema)
    holder = fields.Nested(HolderSchema)
    allowance = fields.Nested(AllowanceSchema, allow_none=True)


class ErrorDetailSchema(ma.Schema):
    code = fields.String()
    message = fields.String()
    reason = fields.String(allow_none=True)


class RedemptionBatchItemSchema(ma.Schema):
    scan_id = fields.String()
    outcome = fields.String(metadata={"enum": ["accepted", "flagged", "already_recorded", "refused"]})
    redemption = fields.Nested(RedemptionSchema, allow_none=True)
    error = fields.Nested(ErrorDetailSchema, allow_none=True)


class RedemptionBatchResultSchema(ma.Schema):
    results = fields.List(fields.Nested(RedemptionBatchItemSchema))


class TillRedemptionArgsSchema(PageArgsSchema):
    day = fields.Date(
        validate=validate.Range(min=date(2000, 1, 1), max=date(2999, 12, 31)),
        metadata={"description": "Europe/Rome day (default: today)"},
    )


class MyRedemptionsSchema(ma.Schema):
    data = fields.List(fields.Nested(RedemptionSchema))
    has_more = fields.Boolean()
    next_cursor = fields.String(allow_none=True)
    total_savings = MoneyField()


class TillPaymentInSchema(ma.Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    venue_id = fields.String(required=True, validate=validate.Length(max=40))
    amount = fields.Nested(PositiveMoneySchema, required=True)
    description = fields.String(load_default="", validate=validate.Length(max=200))


class TillPaymentSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    venue_id = Computed(lambda p: p.venue.public_id, fields.String())
    amount = _money_of("amount")
    description = fields.String()
    state = fields.String(metadata={"enum": ["pending", "paid", "declined", "expired", "refunded"]})
    expires_at = UtcDateTime()
    paid_at = UtcDateTime(allow_none=True)
    refunded_at = UtcDateTime(allow_none=True)


class StatementArgsSchema(ma.Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "pdf"]))
    lang = fields.String(load_default=None, validate=validate.OneOf(["it", "en"]))


class StatementLineSchema(ma.Schema):
    offer_id = fields.String()
    offer_title = fields.String()
    venue_id = fields.String()
    venue_name = fields.String()
    uses = fields.Integer()
    tickets = fields.Integer()
    discounts = _money_of("discounts")
    reimbursements = _money_of("reimbursements")


class StatementSchema(ma.Schema):
    partner_id = Computed(lambda s: s.partner.public_id, fields.String())
    year = fields.Integer()
    month = fields.Integer()
    lines = fields.List(fields.Nested(StatementLineSchema))
    flagged = fields.Integer(metadata={"description": "Uses under review, not reimbursed"})
    discounts = _money_of("discounts")
    reimbursements = _money_of("reimbursements")
    payments = _money_of("payments")
    refunds = _money_of("refunds")
    net_due = _money_of("net_due")
