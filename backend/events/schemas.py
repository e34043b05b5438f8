"""Request and response shapes of the events API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.events.models import (
    CATEGORIES,
    TICKET_KINDS,
    EventState,
    OccurrenceState,
    OrderState,
    TicketState,
    WaitlistState,
)
from backend.events.qr import sign
from backend.money import Money, MoneyField, PositiveMoneySchema, StrictInteger
from backend.pagination import PageArgsSchema
from backend.schema_fields import (
    AwareDateTimeInput,
    Computed,
    DateTimeInput,
    StrictBoolean,
    UtcDateTime,
    rome_timestamp,
)
from backend.web.language import negotiate_language
from backend.web.settings import current_settings

MAX_TICKETS_PER_ORDER = 20


def state_field(states, description: str) -> fields.String:
    """An object's state, with its possible values listed in the contract."""
    return fields.String(metadata={"enum": [s.value for s in states], "description": description})


class RomeDateTime(fields.DateTime):
    """A schedule time, shown in Europe/Rome local time with its offset (whole seconds)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else rome_timestamp(value)


LOCAL_TIME_HELP = "ISO 8601; without an offset the time is read as Europe/Rome local time (e.g. 2026-12-05T21:00:00)"


# --- organizers: requests ------------------------------------------------------------


class TicketTypeInSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(TICKET_KINDS))
    condition = fields.String(
        load_default="",
        validate=validate.Length(max=300),
        metadata={"description": "Who is entitled to a reduced ticket"},
    )
    price = fields.Nested(PositiveMoneySchema, metadata={"description": "Required unless kind is free"})
    capacity = StrictInteger(
        validate=validate.Range(min=1, max=100_000),
        allow_none=True,
        metadata={"description": "Optional cap for this type within each date"},
    )

    @ma.validates_schema
    def _price_matches_kind(self, data, **kwargs):
        if data.get("kind") == "free" and data.get("price") is not None:
            raise ma.ValidationError("A free ticket has no price.", "price")
        if data.get("kind") in ("full", "reduced") and data.get("price") is None:
            raise ma.ValidationError("A paid ticket needs a price.", "price")
        if data.get("kind") == "reduced" and not data.get("condition"):
            raise ma.ValidationError("State who is entitled to the reduced ticket.", "condition")


class OccurrenceInSchema(ma.Schema):
    starts_at = DateTimeInput(required=True, metadata={"description": LOCAL_TIME_HELP})
    ends_at = DateTimeInput(allow_none=True, metadata={"description": LOCAL_TIME_HELP})
    capacity = StrictInteger(required=True, validate=validate.Range(min=1, max=100_000))


class _EventFields(ma.Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    audience = fields.String(validate=validate.Length(max=120), metadata={"description": "e.g. Famiglie, Adulti"})
    age_min = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=120))
    age_max = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=120))
    accessibility = fields.String(validate=validate.Length(max=500))
    image_url = fields.Url(allow_none=True, schemes={"https"}, validate=validate.Length(max=500))
    venue_name = fields.String(validate=validate.Length(min=1, max=200))
    venue_address = fields.String(validate=validate.Length(max=300))
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    per_patron_limit = StrictInteger(validate=validate.Range(min=1, max=MAX_TICKETS_PER_ORDER))
    sales_open_days = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=365))
    sales_close_minutes = StrictInteger(validate=validate.Range(min=0, max=10_080))
    cancel_cutoff_hours = StrictInteger(validate=validate.Range(min=0, max=720))
    payment_hold_minutes = StrictInteger(validate=validate.Range(min=1, max=60))

    @ma.validates_schema
    def _ages(self, data, **kwargs):
        if data.get("age_min") is not None and data.get("age_max") is not None and data["age_min"] > data["age_max"]:
            raise ma.ValidationError("age_min is above age_max.", "age_min")


class EventCreateSchema(_EventFields):
    library = fields.String(validate=validate.Length(max=40), metadata={"description": "Organizing library"})
    network = fields.String(
        validate=validate.Length(max=40), metadata={"description": "Organizing network (admins), instead of a library"}
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    venue_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ticket_types = fields.List(fields.Nested(TicketTypeInSchema), validate=validate.Length(max=10))
    occurrences = fields.List(fields.Nested(OccurrenceInSchema), validate=validate.Length(max=200))

    @ma.validates_schema
    def _one_organizer(self, data, **kwargs):
        if bool(data.get("library")) == bool(data.get("network")):
            raise ma.ValidationError("Give exactly one of library and network.", "library")


class EventUpdateSchema(_EventFields):
    pass


class CapacitySchema(ma.Schema):
    capacity = StrictInteger(required=True, validate=validate.Range(min=0, max=100_000))


# --- discovery ---------------------------------------------------------------------------


class OccurrenceSearchArgsSchema(PageArgsSchema):
    from_ = DateTimeInput(data_key="from", attribute="from", metadata={"description": LOCAL_TIME_HELP})
    to = DateTimeInput(metadata={"description": LOCAL_TIME_HELP})
    library = fields.String(validate=validate.Length(max=40))
    network = fields.String(validate=validate.Length(max=40))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    free = fields.Boolean(metadata={"description": "true: only free events; false: only paid ones"})
    available_only = fields.Boolean(load_default=False)
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Text search"})
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(validate=validate.Range(min=0.1, max=200), metadata={"description": "Default 10"})

    @ma.validates_schema
    def _point(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ma.ValidationError("Give both lat and lon.", "lat")


# --- responses ------------------------------------------------------------------------------


class TicketTypeSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    name = fields.String()
    kind = fields.String()
    condition = fields.String()
    price = Computed(lambda t: Money(t.price, t.currency), MoneyField())
    capacity = fields.Integer(allow_none=True)


class VenueSchema(ma.Schema):
    name = fields.String(attribute="venue_name")
    address = fields.String(attribute="venue_address")
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class OrganizerSchema(ma.Schema):
    library = Computed(lambda e: e.library.public_id if e.library else None, fields.String(), allow_none=True)
    library_name = Computed(lambda e: e.library.name if e.library else None, fields.String(), allow_none=True)
    network = Computed(lambda e: e.network.public_id, fields.String())


class EventSummarySchema(ma.Schema):
    id = fields.String(attribute="public_id")
    title = fields.String()
    category = fields.String()
    image_url = fields.String(allow_none=True)
    venue = Computed(lambda e: e, fields.Nested(VenueSchema), metadata={"description": "Venue"})
    is_free = Computed(lambda e: all(t.price == 0 for t in e.ticket_types), fields.Boolean())
    status = state_field(EventState, "draft (organizers only), published, cancelled")


class OccurrenceSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    event = fields.Nested(EventSummarySchema)
    starts_at = RomeDateTime()
    ends_at = RomeDateTime(allow_none=True)
    capacity = fields.Integer()
    available = fields.Integer(metadata={"description": "Seats on sale right now"})
    sold_out = Computed(lambda o: o.available == 0, fields.Boolean())
    status = state_field(OccurrenceState, "scheduled or cancelled")


class OccurrenceDetailSchema(OccurrenceSchema):
    ticket_types = fields.List(
        fields.Nested(TicketTypeSchema),
        attribute="event.ticket_types",
        required=True,
        metadata={"description": "What can be bought for this date, with prices"},
    )


class OccurrenceBriefSchema(OccurrenceSchema):
    class Meta:
        exclude = ("event",)


class EventSchema(EventSummarySchema):
    description = fields.String()
    audience = fields.String()
    age_min = fields.Integer(allow_none=True)
    age_max = fields.Integer(allow_none=True)
    accessibility = fields.String()
    organizer = Computed(lambda e: e, fields.Nested(OrganizerSchema))
    per_patron_limit = fields.Integer()
    sales_open_days = fields.Integer(allow_none=True)
    sales_close_minutes = fields.Integer()
    cancel_cutoff_hours = fields.Integer()
    payment_hold_minutes = fields.Integer()
    ticket_types = fields.List(fields.Nested(TicketTypeSchema))
    occurrences = fields.List(fields.Nested(OccurrenceBriefSchema))


def _qr(ticket) -> str | None:
    return sign(ticket, current_settings()) if ticket.status == TicketState.VALID else None


class TicketSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    status = state_field(
        TicketState,
        "reserved (its order awaits payment), valid, used (checked in at the door: "
        "no longer refundable), cancelled (refunded), void (never paid)",
    )
    occurrence = fields.Nested(OccurrenceSchema)
    ticket_type = fields.Nested(TicketTypeSchema)
    price = Computed(lambda t: Money(t.price, t.currency), MoneyField())
    version = fields.Integer()
    order = Computed(lambda t: t.order.public_id, fields.String())
    qr_code = Computed(
        lambda t: _qr(t),
        fields.String(),
        allow_none=True,
        metadata={
            "description": "EdDSA-signed JWT to show as a QR code at the door (valid tickets only); "
            "verifiable offline with GET /v1/events/keys"
        },
    )


class OrderTicketSchema(TicketSchema):
    class Meta:
        exclude = ("occurrence",)


class OrderSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    status = state_field(OrderState, "awaiting_payment, completed, expired, cancelled")
    occurrence = Computed(lambda o: o.occurrence.public_id, fields.String())
    quantity = fields.Integer()
    total = Computed(lambda o: Money(o.total, o.currency), MoneyField())
    payment = Computed(
        lambda o: None if o.entry_id is None else "wallet",
        fields.String(validate=validate.OneOf(["wallet"])),
        allow_none=True,
    )
    expires_at = UtcDateTime(
        allow_none=True, metadata={"description": "Until when an order awaiting a card top-up keeps its seats"}
    )
    created_at = UtcDateTime()
    tickets = fields.List(fields.Nested(lambda: OrderTicketSchema()))


class PurchaseResultSchema(ma.Schema):
    order = fields.Nested(OrderSchema)
    shortfall = MoneyField(
        allow_none=True, metadata={"description": "Set when the order awaits a card top-up of at least this amount"}
    )


class ItemSchema(ma.Schema):
    ticket_type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_TICKETS_PER_ORDER))


class PurchaseSchema(ma.Schema):
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1, max=10))
    pay_shortfall_by_card = StrictBoolean(
        load_default=False,
        metadata={
            "description": "If the wallet is short, keep the seats while a card top-up completes "
            "(the order then completes by itself) instead of refusing with 422"
        },
    )

    @ma.validates_schema
    def _total(self, data, **kwargs):
        if sum(item["quantity"] for item in data.get("items", [])) > MAX_TICKETS_PER_ORDER:
            raise ma.ValidationError(f"At most {MAX_TICKETS_PER_ORDER} tickets per order.", "items")


class WaitlistJoinSchema(ma.Schema):
    ticket_type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_TICKETS_PER_ORDER))


class WaitlistEntrySchema(ma.Schema):
    id = fields.String(attribute="public_id")
    status = state_field(WaitlistState, "waiting, offered, accepted, expired, left, cancelled")
    occurrence = fields.Nested(OccurrenceSchema)
    ticket_type = fields.Nested(TicketTypeSchema)
    quantity = fields.Integer()
    offer_expires_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class WaitlistAcceptedSchema(ma.Schema):
    entry = fields.Nested(WaitlistEntrySchema)
    order = fields.Nested(OrderSchema)


class ScanSchema(ma.Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    gate = fields.String(
        load_default="",
        validate=validate.Length(max=120),
        metadata={"description": "Where the scan happened, e.g. 'Ingresso A'"},
    )
    occurrence = fields.String(
        validate=validate.Length(max=40), metadata={"description": "Refuse tickets of other dates"}
    )


class OfflineScanSchema(ma.Schema):
    scan_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    code = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    gate = fields.String(load_default="", validate=validate.Length(max=120))
    scanned_at = AwareDateTimeInput(required=True)


class ScanBatchSchema(ma.Schema):
    scans = fields.List(fields.Nested(OfflineScanSchema), required=True, validate=validate.Length(min=1, max=500))


class CheckInSchema(ma.Schema):
    ticket = Computed(lambda r: r.ticket.public_id if r.ticket else None, fields.String(), allow_none=True)
    outcome = fields.String(metadata={"description": "accepted, already_uploaded, already_checked_in, invalid"})
    ticket_type = Computed(lambda r: r.ticket.ticket_type.name if r.ticket else None, fields.String(), allow_none=True)
    condition = Computed(
        lambda r: r.ticket.ticket_type.condition if r.ticket else None,
        fields.String(),
        allow_none=True,
        metadata={"description": "For reduced tickets: what to check"},
    )
    scanned_at = Computed(lambda r: r.checkin.scanned_at if r.checkin else None, UtcDateTime(), allow_none=True)


class BatchScanResultSchema(CheckInSchema):
    scan_id = fields.String()
    code = Computed(lambda r: r.error.error.code if r.error else None, fields.String(), allow_none=True)
    message = Computed(
        lambda r: r.error.body(negotiate_language())["error"]["message"] if r.error else None,
        fields.String(),
        allow_none=True,
    )
    first_used_at = Computed(lambda r: r.extra.get("first_used_at"), UtcDateTime(), allow_none=True)
    gate = Computed(lambda r: r.extra.get("gate"), fields.String(), allow_none=True)


class ScanBatchResultSchema(ma.Schema):
    results = fields.List(fields.Nested(BatchScanResultSchema))
    accepted = fields.Integer()
    conflicts = fields.Integer()
    invalid = fields.Integer()


class DoorCountSchema(ma.Schema):
    occurrence = Computed(lambda d: d["occurrence"].public_id, fields.String())
    checked_in = fields.Integer()
    sold = fields.Integer(metadata={"description": "Seats taken (tickets plus seats held for payment/offers)"})
    capacity = fields.Integer()


class CancellationSchema(ma.Schema):
    tickets_refunded = fields.Integer()
    tickets_used = fields.Integer(
        metadata={"description": "Tickets already checked in at the door: used, so not refunded"}
    )
    patrons_notified = fields.Integer()


class JwkSchema(ma.Schema):
    kty = fields.String()
    crv = fields.String()
    x = fields.String()
    kid = fields.String()
    use = fields.String()
    alg = fields.String()


class JwksSchema(ma.Schema):
    keys = fields.List(fields.Nested(JwkSchema))


class TicketListArgsSchema(PageArgsSchema):
    include_past = fields.Boolean(load_default=False)
