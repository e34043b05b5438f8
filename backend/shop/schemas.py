"""Request and response shapes of the shop API (every property typed for the app's clients)."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from backend.money import Money, MoneyField, PositiveMoneySchema, StrictInteger
from backend.pagination import PageArgsSchema
from backend.schema_fields import AwareDateTimeInput, Computed, DateInput, StrictBoolean, UtcDateTime
from backend.shop.models import CATEGORIES, VAT_TREATMENTS, OrderState

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_QUANTITY = 99
MAX_LINES = 50
_ID = validate.Length(min=1, max=40)


def _money(cents: str) -> Computed:
    return Computed(lambda obj: Money(getattr(obj, cents), obj.currency), MoneyField())


# --- catalogue ----------------------------------------------------------------------------


class ShopItemInSchema(ma.Schema):
    library_id = fields.String(
        validate=_ID,
        metadata={"description": "The library selling it; omitted (network admins only): a network item"},
    )
    library_ids = fields.List(
        fields.String(validate=_ID),
        validate=validate.Length(max=200),
        metadata={"description": "Network item: the libraries selling it (empty: all of the network's)"},
    )
    name_it = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description_it = fields.String(load_default="", validate=validate.Length(max=2000))
    description_en = fields.String(load_default="", validate=validate.Length(max=2000))
    image_url = fields.URL(allow_none=True, load_default=None, schemes={"https"}, validate=validate.Length(max=500))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    price = fields.Nested(PositiveMoneySchema, required=True)
    vat = fields.String(load_default="vat_22", validate=validate.OneOf(VAT_TREATMENTS))
    stock = StrictInteger(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=1_000_000),
        metadata={"description": "Pieces left; null: not counted (services)"},
    )
    active = StrictBoolean(load_default=True)
    active_from = UtcDateTime(allow_none=True, load_default=None)
    active_to = UtcDateTime(allow_none=True, load_default=None)

    @ma.validates_schema
    def _window(self, data, **kwargs):
        if data.get("active_from") and data.get("active_to") and data["active_from"] >= data["active_to"]:
            raise ma.ValidationError("active_from must be before active_to.", "active_to")


class ShopItemPatchSchema(ma.Schema):
    library_ids = fields.List(fields.String(validate=_ID), validate=validate.Length(max=200))
    name_it = fields.String(validate=validate.Length(min=1, max=200))
    name_en = fields.String(validate=validate.Length(min=1, max=200))
    description_it = fields.String(validate=validate.Length(max=2000))
    description_en = fields.String(validate=validate.Length(max=2000))
    image_url = fields.URL(allow_none=True, schemes={"https"}, validate=validate.Length(max=500))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    price = fields.Nested(PositiveMoneySchema)
    vat = fields.String(validate=validate.OneOf(VAT_TREATMENTS))
    stock = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    active = StrictBoolean()
    active_from = UtcDateTime(allow_none=True)
    active_to = UtcDateTime(allow_none=True)


class ShopItemSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    library_id = Computed(lambda i: i.library.public_id if i.library else None, fields.String(), allow_none=True)
    network_id = Computed(lambda i: i.network.public_id, fields.String())
    library_ids = Computed(lambda i: [lib.public_id for lib in i.libraries], fields.List(fields.String()))
    name_it = fields.String()
    name_en = fields.String()
    description_it = fields.String()
    description_en = fields.String()
    image_url = fields.String(allow_none=True)
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    price = _money("price")
    vat = fields.String(metadata={"enum": list(VAT_TREATMENTS)})
    stock = fields.Integer(allow_none=True, metadata={"description": "Pieces left; null: not counted"})
    pickup = Computed(lambda i: i.needs_pickup, fields.Boolean(), metadata={"description": "Collected at the desk"})
    active = fields.Boolean()
    active_from = UtcDateTime(allow_none=True)
    active_to = UtcDateTime(allow_none=True)


class ShopItemSearchArgsSchema(PageArgsSchema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))


class ShopStaffItemArgsSchema(PageArgsSchema):
    library_id = fields.String(validate=_ID, metadata={"description": "One library's items (default: all I manage)"})


class ShopLibrarySchema(ma.Schema):
    id = Computed(lambda row: row["library"].public_id, fields.String())
    name = Computed(lambda row: row["library"].name, fields.String())
    city = Computed(lambda row: row["library"].city, fields.String())
    network_id = Computed(lambda row: row["library"].network.public_id, fields.String())
    categories = fields.List(fields.String(metadata={"enum": list(CATEGORIES)}))


# --- rooms and hours --------------------------------------------------------------------


class OpeningIntervalSchema(ma.Schema):
    weekday = StrictInteger(required=True, validate=validate.Range(min=1, max=7), metadata={"description": "1 = Mon"})
    opens = fields.String(required=True, validate=validate.Regexp(_HHMM), metadata={"example": "09:00"})
    closes = fields.String(required=True, validate=validate.Regexp(_HHMM), metadata={"example": "19:00"})

    @ma.validates_schema
    def _order(self, data, **kwargs):
        if data.get("opens") and data.get("closes") and data["opens"] >= data["closes"]:
            raise ma.ValidationError("opens must be before closes.", "closes")


class OpeningHoursInSchema(ma.Schema):
    hours = fields.List(
        fields.Nested(OpeningIntervalSchema),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "Weekly hours, Europe/Rome local time; replaces the previous ones"},
    )


class RoomInSchema(ma.Schema):
    library_id = fields.String(required=True, validate=_ID)
    name_it = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description_it = fields.String(load_default="", validate=validate.Length(max=2000))
    description_en = fields.String(load_default="", validate=validate.Length(max=2000))
    capacity = StrictInteger(required=True, validate=validate.Range(min=1, max=10_000))
    price_per_hour = fields.Nested(PositiveMoneySchema, required=True)
    vat = fields.String(load_default="vat_22", validate=validate.OneOf(VAT_TREATMENTS))
    cancel_cutoff_hours = StrictInteger(load_default=24, validate=validate.Range(min=0, max=720))
    active = StrictBoolean(load_default=True)


class RoomPatchSchema(ma.Schema):
    name_it = fields.String(validate=validate.Length(min=1, max=200))
    name_en = fields.String(validate=validate.Length(min=1, max=200))
    description_it = fields.String(validate=validate.Length(max=2000))
    description_en = fields.String(validate=validate.Length(max=2000))
    capacity = StrictInteger(validate=validate.Range(min=1, max=10_000))
    price_per_hour = fields.Nested(PositiveMoneySchema)
    vat = fields.String(validate=validate.OneOf(VAT_TREATMENTS))
    cancel_cutoff_hours = StrictInteger(validate=validate.Range(min=0, max=720))
    active = StrictBoolean()


class RoomSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    library_id = Computed(lambda r: r.library.public_id, fields.String())
    name_it = fields.String()
    name_en = fields.String()
    description_it = fields.String()
    description_en = fields.String()
    capacity = fields.Integer()
    price_per_hour = _money("price_per_hour")
    vat = fields.String(metadata={"enum": list(VAT_TREATMENTS)})
    cancel_cutoff_hours = fields.Integer()
    active = fields.Boolean()


class RoomAvailabilityArgsSchema(ma.Schema):
    date = DateInput(required=True, metadata={"description": "The day, Europe/Rome (YYYY-MM-DD)"})


class RoomHourSchema(ma.Schema):
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    free = fields.Boolean()


class RoomBookingInSchema(ma.Schema):
    starts_at = AwareDateTimeInput(required=True, metadata={"description": "On the hour, with offset or Z"})
    ends_at = AwareDateTimeInput(required=True, metadata={"description": "On the hour, after starts_at"})


class RoomBookingSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    room_id = Computed(lambda b: b.room.public_id, fields.String())
    room_name_it = Computed(lambda b: b.room.name_it, fields.String())
    room_name_en = Computed(lambda b: b.room.name_en, fields.String())
    library_id = Computed(lambda b: b.room.library.public_id, fields.String())
    order_id = Computed(lambda b: b.order.public_id, fields.String())
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    hours = fields.Integer()
    state = fields.String(metadata={"enum": ["booked", "cancelled"]})
    cancel_until = Computed(lambda b: b.cancel_until, UtcDateTime(), metadata={"description": "Refund cut-off"})
    cancelled_at = UtcDateTime(allow_none=True)
    refunded = fields.Boolean()


class ShopDayArgsSchema(ma.Schema):
    date = DateInput(required=True, metadata={"description": "The day, Europe/Rome (YYYY-MM-DD)"})


# --- orders -------------------------------------------------------------------------------


class ShopCartLineSchema(ma.Schema):
    item_id = fields.String(required=True, validate=_ID)
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class ShopCheckoutSchema(ma.Schema):
    library_id = fields.String(required=True, validate=_ID, metadata={"description": "Where to pick it up"})
    lines = fields.List(
        fields.Nested(ShopCartLineSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES)
    )


class ShopOrderLineSchema(ma.Schema):
    item_id = Computed(lambda line: line.item.public_id if line.item else None, fields.String(), allow_none=True)
    description = fields.String()
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    vat = fields.String(metadata={"enum": list(VAT_TREATMENTS)})
    quantity = fields.Integer()
    unit_price = _money("unit_price")
    amount = Computed(lambda line: Money(line.amount, line.currency), MoneyField())


class ShopOrderSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    library_id = Computed(lambda o: o.library.public_id, fields.String())
    library_name = Computed(lambda o: o.library.name, fields.String())
    channel = fields.String(metadata={"enum": ["app", "desk"]})
    method = fields.String(metadata={"enum": ["wallet", "cash"]})
    state = fields.String(metadata={"enum": [s.value for s in OrderState]})
    pickup = fields.Boolean(attribute="needs_pickup", metadata={"description": "To collect at the library"})
    total = _money("total")
    lines = fields.List(fields.Nested(ShopOrderLineSchema))
    patron_card_number = Computed(lambda o: o.patron.card_number, fields.String())
    confirmation_id = Computed(
        lambda o: o.confirmation_public_id,
        fields.String(),
        allow_none=True,
        metadata={"description": "Desk sale paid from the wallet: the request the patron confirms"},
    )
    receipt_id = Computed(lambda o: o.receipt_public_id, fields.String(), allow_none=True)
    refund_receipt_id = Computed(lambda o: o.refund_receipt_public_id, fields.String(), allow_none=True)
    created_at = UtcDateTime()
    paid_at = UtcDateTime(allow_none=True)
    ready_at = UtcDateTime(allow_none=True)
    collected_at = UtcDateTime(allow_none=True)
    refunded_at = UtcDateTime(allow_none=True)


class ShopOrderArgsSchema(PageArgsSchema):
    state = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in OrderState])),
        validate=validate.Length(max=8),
        metadata={"description": "Only orders in these states (repeat the parameter)"},
    )


class ShopRefundInSchema(ma.Schema):
    cash_session_id = fields.String(
        allow_none=True,
        load_default=None,
        validate=_ID,
        metadata={"description": "Paid in cash: the open cash session that gives the cash back"},
    )


class ShopSaleInSchema(ma.Schema):
    library_id = fields.String(required=True, validate=_ID)
    card_number = fields.String(validate=validate.Length(min=1, max=32))
    membership_code = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "The membership QR's content"}
    )
    lines = fields.List(fields.Nested(ShopCartLineSchema), validate=validate.Length(min=1, max=MAX_LINES))
    amount = fields.Nested(PositiveMoneySchema, metadata={"description": "A free amount (with description)"})
    description = fields.String(validate=validate.Length(min=1, max=200))
    category = fields.String(load_default="other", validate=validate.OneOf(CATEGORIES))
    vat = fields.String(load_default="vat_22", validate=validate.OneOf(VAT_TREATMENTS))
    method = fields.String(required=True, validate=validate.OneOf(["wallet", "cash"]))
    cash_session_id = fields.String(validate=_ID, metadata={"description": "Cash: the open cash session"})

    @ma.validates_schema
    def _free_amount(self, data, **kwargs):
        if data.get("amount") is not None and not data.get("description"):
            raise ma.ValidationError("A free amount needs a description.", "description")


class PrintingCreditSchema(ma.Schema):
    network_id = fields.String()
    network_name = fields.String()
    balance = MoneyField()


class PrintingUseInSchema(ma.Schema):
    library_id = fields.String(required=True, validate=_ID)
    card_number = fields.String(validate=validate.Length(min=1, max=32))
    membership_code = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "The membership QR's content"}
    )
    amount = fields.Nested(PositiveMoneySchema, required=True, metadata={"description": "What the printing cost"})
    description = fields.String(load_default="", validate=validate.Length(max=200), metadata={"example": "20 A4"})
