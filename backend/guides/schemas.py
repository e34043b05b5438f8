"""Request and response bodies of Socialbook (``/v1/guides``); every property typed for the app's clients."""

from __future__ import annotations

import marshmallow as ma

from backend.guides.catalog import SORTS
from backend.guides.imports import FORMATS
from backend.guides.models import MediaType, ReadingState, ReservationState, Visibility
from backend.guides.records import format_isbn
from backend.money import MoneyField, PositiveMoneySchema
from backend.pagination import PageArgsSchema
from backend.schema_fields import DateInput, StrictBoolean, UtcDateTime
from backend.web.language import negotiate_language

V = ma.validate
PUBLIC_ID = {"validate": V.Length(min=1, max=64)}
STR = {"type": "string"}


def _lang():
    return negotiate_language()


class GuidePlaceSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    name = ma.fields.String(required=True)


class CuratorSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"enum": ["library", "network"]})
    id = ma.fields.String(attribute="public_id", required=True)
    name = ma.fields.String(required=True)
    network_id = ma.fields.String(required=True)


# --- records and items -------------------------------------------------------------


class CatalogRecordSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    title = ma.fields.String(
        attribute="display_title",
        required=True,
        metadata={"description": "The title, or 'ISBN …' while the record has none"},
    )
    authors = ma.fields.String(required=True)
    isbn = ma.fields.String(allow_none=True, required=True, metadata={"description": "ISBN-13, digits only"})
    isbn_formatted = ma.fields.Function(
        lambda r: format_isbn(r.isbn),
        allow_none=True,
        required=True,
        metadata={"type": "string", "example": "978-88-04-47328-2"},
    )
    year = ma.fields.Integer(allow_none=True, required=True)
    media_type = ma.fields.String(required=True, metadata={"enum": [m.value for m in MediaType]})
    cover_url = ma.fields.String(allow_none=True, required=True)
    opac_url = ma.fields.String(
        allow_none=True, required=True, metadata={"description": "The record in its owning network's OPAC"}
    )
    my_state = ma.fields.String(
        allow_none=True,
        metadata={"enum": [s.value for s in ReadingState], "description": "My reading progress (patrons only)"},
    )


class GuideItemSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    position = ma.fields.Integer(required=True)
    note = ma.fields.String(required=True, metadata={"description": "The curator's note"})
    record = ma.fields.Nested(CatalogRecordSchema, required=True)


class GuideOccurrenceSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    event_id = ma.fields.Function(lambda o: o.event.public_id, required=True, metadata=STR)
    title = ma.fields.Function(lambda o: o.event.title, required=True, metadata=STR)
    category = ma.fields.Function(lambda o: o.event.category, required=True, metadata=STR)
    venue = ma.fields.Function(lambda o: o.event.venue_name, required=True, metadata=STR)
    starts_at = UtcDateTime(required=True)
    available = ma.fields.Integer(required=True, metadata={"description": "Seats still free, now"})
    capacity = ma.fields.Integer(required=True)


class KitBriefSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    title = ma.fields.String(required=True)
    library = ma.fields.Nested(GuidePlaceSchema, required=True)
    units = ma.fields.Integer(required=True)
    loan_days = ma.fields.Integer(required=True)
    deposit = MoneyField(attribute="deposit_money", required=True)
    fee = MoneyField(attribute="fee_money", required=True)


# --- guides ------------------------------------------------------------------------


class GuideSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    title = ma.fields.Function(lambda g: g.title(_lang()), required=True, metadata=STR)
    theme = ma.fields.String(required=True)
    description = ma.fields.Function(lambda g: g.description(_lang()), required=True, metadata=STR)
    cover_url = ma.fields.String(allow_none=True, required=True)
    curator = ma.fields.Nested(CuratorSchema, required=True)
    audience = ma.fields.String(required=True)
    age_min = ma.fields.Integer(allow_none=True, required=True)
    age_max = ma.fields.Integer(allow_none=True, required=True)
    tags = ma.fields.List(ma.fields.String(), attribute="tag_list", required=True)
    followers = ma.fields.Integer(required=True)
    published_at = UtcDateTime(allow_none=True, required=True)


class GuideProgressSchema(ma.Schema):
    guide_id = ma.fields.Function(lambda p: p.guide.public_id, required=True, metadata=STR)
    items = ma.fields.Integer(required=True)
    want_to_read = ma.fields.Integer(required=True)
    reading = ma.fields.Integer(required=True)
    read = ma.fields.Integer(required=True)
    percent = ma.fields.Integer(required=True)
    completed = ma.fields.Boolean(required=True)
    badge_awarded_at = UtcDateTime(allow_none=True, required=True)


class GuideDetailSchema(GuideSchema):
    items = ma.fields.List(ma.fields.Nested(GuideItemSchema), required=True)
    kits = ma.fields.List(ma.fields.Nested(KitBriefSchema), required=True)
    upcoming_events = ma.fields.List(ma.fields.Nested(GuideOccurrenceSchema), attribute="upcoming", required=True)
    following = ma.fields.Boolean(required=True)
    progress = ma.fields.Nested(GuideProgressSchema, allow_none=True, required=True)


class StaffGuideSchema(GuideDetailSchema):
    title_it = ma.fields.String(required=True)
    title_en = ma.fields.String(required=True)
    description_it = ma.fields.String(required=True)
    description_en = ma.fields.String(required=True)
    state = ma.fields.String(required=True, metadata={"enum": ["draft", "published"]})
    visibility = ma.fields.String(required=True, metadata={"enum": [v.value for v in Visibility]})


class StaffGuideBriefSchema(GuideSchema):
    state = ma.fields.String(required=True, metadata={"enum": ["draft", "published"]})
    visibility = ma.fields.String(required=True, metadata={"enum": [v.value for v in Visibility]})


class GuideListArgsSchema(PageArgsSchema):
    q = ma.fields.String(
        validate=V.Length(min=1, max=100), metadata={"description": "Words in title, description, theme or tags"}
    )
    theme = ma.fields.String(validate=V.Length(min=1, max=80))
    tag = ma.fields.String(validate=V.Length(min=1, max=40))
    age = ma.fields.Integer(
        validate=V.Range(min=0, max=120), metadata={"description": "Guides whose age band includes this age"}
    )
    curator = ma.fields.String(**PUBLIC_ID, metadata={"description": "Library or network id"})
    network = ma.fields.String(**PUBLIC_ID, metadata={"description": "The curator's network"})
    sort = ma.fields.String(load_default="newest", validate=V.OneOf(SORTS))


class _GuideFieldsSchema(ma.Schema):
    title_it = ma.fields.String(validate=V.Length(min=1, max=200))
    title_en = ma.fields.String(validate=V.Length(max=200))
    theme = ma.fields.String(validate=V.Length(min=1, max=80))
    description_it = ma.fields.String(validate=V.Length(max=20000))
    description_en = ma.fields.String(validate=V.Length(max=20000))
    cover_url = ma.fields.Url(allow_none=True, schemes={"https", "http"})
    audience = ma.fields.String(validate=V.Length(max=120))
    age_min = ma.fields.Integer(allow_none=True, validate=V.Range(min=0, max=120))
    age_max = ma.fields.Integer(allow_none=True, validate=V.Range(min=0, max=120))
    tags = ma.fields.List(ma.fields.String(validate=V.Length(min=1, max=40)), validate=V.Length(max=20))
    visibility = ma.fields.String(
        validate=V.OneOf([v.value for v in Visibility]),
        metadata={"description": "everyone, or network: patrons of the curator's network"},
    )

    @ma.validates_schema
    def _band(self, data, **kwargs):
        if data.get("age_min") is not None and data.get("age_max") is not None and data["age_min"] > data["age_max"]:
            raise ma.ValidationError("age_min must not exceed age_max", "age_min")


class GuideCreateSchema(_GuideFieldsSchema):
    title_it = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    theme = ma.fields.String(required=True, validate=V.Length(min=1, max=80))
    library = ma.fields.String(**PUBLIC_ID, metadata={"description": "Curating library (or give network)"})
    network = ma.fields.String(**PUBLIC_ID, metadata={"description": "Curating network (admins)"})

    @ma.validates_schema
    def _one_curator(self, data, **kwargs):
        if bool(data.get("library")) == bool(data.get("network")):
            raise ma.ValidationError("give exactly one of library and network", "library")


class GuideUpdateSchema(_GuideFieldsSchema):
    pass


class ItemAddSchema(ma.Schema):
    isbn = ma.fields.String(validate=V.Length(min=10, max=20), metadata={"description": "ISBN-10 or ISBN-13"})
    note = ma.fields.String(load_default="", validate=V.Length(max=2000))
    title = ma.fields.String(
        validate=V.Length(min=1, max=300), metadata={"description": "Needed only without ISBN; fills a new record"}
    )
    authors = ma.fields.String(load_default="", validate=V.Length(max=300))
    year = ma.fields.Integer(allow_none=True, validate=V.Range(min=1400, max=2100))
    media_type = ma.fields.String(load_default="book", validate=V.OneOf([m.value for m in MediaType]))
    cover_url = ma.fields.Url(allow_none=True, schemes={"https", "http"})

    @ma.validates_schema
    def _isbn_or_title(self, data, **kwargs):
        if not data.get("isbn") and not data.get("title"):
            raise ma.ValidationError("give the isbn, or the title of a title without ISBN", "isbn")


class ItemUpdateSchema(ma.Schema):
    note = ma.fields.String(required=True, validate=V.Length(max=2000))


class ReorderSchema(ma.Schema):
    item_ids = ma.fields.List(ma.fields.String(**PUBLIC_ID), required=True, validate=V.Length(min=1, max=2000))


class RecordUpdateSchema(ma.Schema):
    title = ma.fields.String(validate=V.Length(min=1, max=300))
    authors = ma.fields.String(validate=V.Length(max=300))
    year = ma.fields.Integer(allow_none=True, validate=V.Range(min=1400, max=2100))
    media_type = ma.fields.String(validate=V.OneOf([m.value for m in MediaType]))
    cover_url = ma.fields.Url(allow_none=True, schemes={"https", "http"})


class ImportArgsSchema(ma.Schema):
    format = ma.fields.String(
        required=True,
        validate=V.OneOf(FORMATS),
        metadata={"description": "csv (isbn,note), marc (ISO 2709), marcxml, dc (Dublin Core XML)"},
    )


class ImportFileSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportRowSchema(ma.Schema):
    row = ma.fields.Integer(required=True, metadata={"description": "Line (CSV) or record number (MARC, DC)"})
    isbn = ma.fields.String(allow_none=True, required=True)
    result = ma.fields.String(required=True, metadata={"enum": ["added", "rejected"]})
    item_id = ma.fields.Function(
        lambda r: r.item.public_id if r.item else None, allow_none=True, required=True, metadata={"type": "string"}
    )
    error = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "invalid_isbn, title_required, already_in_guide, unreadable"},
    )
    message = ma.fields.String(allow_none=True, required=True)


class ImportReportSchema(ma.Schema):
    format = ma.fields.String(required=True)
    added = ma.fields.Integer(required=True)
    rejected = ma.fields.Integer(required=True)
    rows = ma.fields.List(ma.fields.Nested(ImportRowSchema), required=True)


class EventLinkSchema(ma.Schema):
    event_id = ma.fields.String(required=True, **PUBLIC_ID)
    occurrence_id = ma.fields.String(**PUBLIC_ID, metadata={"description": "One date only (default: every date)"})


class OpacTemplateSchema(ma.Schema):
    url_template = ma.fields.String(
        required=True,
        validate=V.Length(min=10, max=500),
        metadata={"example": "https://opac.example.org/search?isbn={isbn}"},
    )


# --- the patron's side -----------------------------------------------------------------


class ReadingProgressSetSchema(ma.Schema):
    state = ma.fields.String(required=True, validate=V.OneOf([s.value for s in ReadingState]))


class GuideBadgeSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    guide = ma.fields.Nested(GuideSchema, required=True)
    awarded_at = UtcDateTime(required=True)


class ReadingProgressSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    state = ma.fields.String(required=True, metadata={"enum": [s.value for s in ReadingState]})
    updated_at = UtcDateTime(required=True)
    finished_at = UtcDateTime(allow_none=True, required=True)
    record = ma.fields.Nested(CatalogRecordSchema, required=True)


class ReadingProgressChangeSchema(ma.Schema):
    progress = ma.fields.Nested(ReadingProgressSchema, required=True)
    badges_earned = ma.fields.List(ma.fields.Nested(GuideBadgeSchema), attribute="badges", required=True)


class RecordDetailSchema(ma.Schema):
    record = ma.fields.Nested(CatalogRecordSchema, required=True)
    guides = ma.fields.List(
        ma.fields.Nested(GuideSchema), required=True, metadata={"description": "Guides that contain this title"}
    )


class ShelfArgsSchema(PageArgsSchema):
    state = ma.fields.String(validate=V.OneOf([s.value for s in ReadingState]))


class GuideFollowSchema(ma.Schema):
    guide_id = ma.fields.String(attribute="public_id", required=True)
    following = ma.fields.Boolean(required=True)
    followers = ma.fields.Integer(required=True)


# --- kits -----------------------------------------------------------------------------


class KitSchema(KitBriefSchema):
    description = ma.fields.String(required=True)
    late_fee_per_day = MoneyField(attribute="late_fee_money", required=True)
    active = ma.fields.Boolean(required=True)
    guides = ma.fields.Function(
        lambda k: [g.public_id for g in k.guides],
        required=True,
        metadata={"type": "array", "items": {"type": "string"}},
    )


class DayAvailabilitySchema(ma.Schema):
    day = ma.fields.Date(required=True)
    free = ma.fields.Integer(required=True)


class KitCalendarSchema(ma.Schema):
    kit = ma.fields.Nested(KitSchema, required=True)
    days = ma.fields.List(ma.fields.Nested(DayAvailabilitySchema), required=True)


class CalendarArgsSchema(ma.Schema):
    start = DateInput(metadata={"description": "Default: today (Europe/Rome)"})
    days = ma.fields.Integer(load_default=60, validate=V.Range(min=1, max=120))


class KitCreateSchema(ma.Schema):
    library = ma.fields.String(required=True, **PUBLIC_ID)
    title = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    description = ma.fields.String(load_default="", validate=V.Length(max=5000))
    units = ma.fields.Integer(required=True, strict=True, validate=V.Range(min=1, max=500))
    loan_days = ma.fields.Integer(required=True, strict=True, validate=V.Range(min=1, max=90))
    deposit = ma.fields.Nested(PositiveMoneySchema, metadata={"description": "Given back on return"})
    fee = ma.fields.Nested(PositiveMoneySchema, metadata={"description": "Kept by the library"})
    late_fee_per_day = ma.fields.Nested(PositiveMoneySchema, metadata={"description": "Charged as an overdue fee"})
    guides = ma.fields.List(ma.fields.String(**PUBLIC_ID), load_default=list, validate=V.Length(max=50))


class KitUpdateSchema(ma.Schema):
    title = ma.fields.String(validate=V.Length(min=1, max=200))
    description = ma.fields.String(validate=V.Length(max=5000))
    units = ma.fields.Integer(strict=True, validate=V.Range(min=1, max=500))
    loan_days = ma.fields.Integer(strict=True, validate=V.Range(min=1, max=90))
    active = StrictBoolean()
    guides = ma.fields.List(
        ma.fields.String(**PUBLIC_ID), validate=V.Length(max=50), metadata={"description": "Guides to add the kit to"}
    )


class ReservationCreateSchema(ma.Schema):
    start_date = DateInput(required=True, metadata={"description": "Pick-up day (Europe/Rome)"})
    end_date = DateInput(required=True, metadata={"description": "Return day, included"})
    quantity = ma.fields.Integer(load_default=1, strict=True, validate=V.Range(min=1, max=500))
    pickup_library = ma.fields.String(required=True, **PUBLIC_ID)


class ReservationSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    state = ma.fields.String(required=True, metadata={"enum": [s.value for s in ReservationState]})
    kit = ma.fields.Nested(KitBriefSchema, required=True)
    pickup_library = ma.fields.Nested(GuidePlaceSchema, required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    quantity = ma.fields.Integer(required=True)
    deposit = MoneyField(attribute="deposit_money", required=True)
    fee = MoneyField(attribute="fee_money", required=True)
    picked_up_at = UtcDateTime(allow_none=True, required=True)
    returned_at = UtcDateTime(allow_none=True, required=True)
    cancelled_at = UtcDateTime(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


class StaffReservationSchema(ReservationSchema):
    patron = ma.fields.Function(
        lambda r: {
            "id": r.patron.public_id,
            "card_number": r.patron.card_number,
            "name": f"{r.patron.first_name} {r.patron.last_name}",
        },
        required=True,
        metadata={
            "type": "object",
            "properties": {"id": {"type": "string"}, "card_number": {"type": "string"}, "name": {"type": "string"}},
        },
    )
    late_fee_id = ma.fields.Function(
        lambda r: _late_fee_id(r),
        allow_none=True,
        required=True,
        metadata={"type": "string", "description": "Overdue fee charged at a late return"},
    )


def _late_fee_id(reservation):
    if reservation.late_fee_id is None:
        return None
    from sqlalchemy.orm import object_session

    from backend.fees.models import Fee

    fee = object_session(reservation).get(Fee, reservation.late_fee_id)
    return fee.public_id


class ReservationListArgsSchema(PageArgsSchema):
    state = ma.fields.String(validate=V.OneOf([s.value for s in ReservationState]))


class StaffReservationListArgsSchema(ReservationListArgsSchema):
    kit = ma.fields.String(**PUBLIC_ID)
