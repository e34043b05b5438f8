"""Request and response bodies of accounts and sign-in."""

from __future__ import annotations

import marshmallow as ma

from backend.accounts.rules import PASSWORD_MAX, PASSWORD_MIN, is_valid_password, is_valid_pin
from backend.i18n import LANGUAGES
from backend.schema_fields import Computed, UtcDateTime

V = ma.validate


def _pin_field(description: str = "4 to 8 digits", **kw):
    return ma.fields.String(
        validate=lambda v: is_valid_pin(v) or _fail("4 to 8 digits"), metadata={"description": description}, **kw
    )


def _password_field(**kw):
    return ma.fields.String(
        validate=lambda v: is_valid_password(v) or _fail(f"{PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        metadata={"description": f"{PASSWORD_MIN} to {PASSWORD_MAX} characters"},
        **kw,
    )


def _fail(message: str):
    raise ma.ValidationError(message)


Card = ma.fields.String
Email = ma.fields.Email
Language = lambda **kw: ma.fields.String(validate=V.OneOf(LANGUAGES), **kw)  # noqa: E731
DEVICE = {
    "load_default": "",
    "validate": V.Length(max=120),
    "metadata": {"description": "Shown in the list of signed-in devices"},
}


# --- sign-in -------------------------------------------------------------------


class CardSignInSchema(ma.Schema):
    card_number = Card(required=True, validate=V.Length(min=1, max=32))
    pin = ma.fields.String(required=True, validate=V.Length(min=1, max=64))
    device_name = ma.fields.String(**DEVICE)


class PasswordSignInSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=V.Length(min=3, max=254))
    password = ma.fields.String(required=True, validate=V.Length(min=1, max=PASSWORD_MAX))
    device_name = ma.fields.String(**DEVICE)


class RefreshSchema(ma.Schema):
    refresh_token = ma.fields.String(required=True, validate=V.Length(min=1, max=200))


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    token_type = Computed(lambda _: "Bearer", ma.fields.String(validate=V.OneOf(["Bearer"])))
    expires_in = ma.fields.Integer(metadata={"description": "Seconds until the access token expires"})
    refresh_token = ma.fields.String(
        required=True,
        metadata={
            "description": "Opaque, single use: every refresh returns a new one. Using an old one again "
            "signs the device out."
        },
    )
    session_id = Computed(lambda pair: pair.session.public_id, ma.fields.String())


class SessionSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    device_name = ma.fields.String()
    user_agent = ma.fields.String()
    channel = ma.fields.String()
    created_at = UtcDateTime()
    last_used_at = UtcDateTime()
    current = ma.fields.Boolean()


class SessionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(SessionSchema))


class VerifyEmailSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=V.Length(min=1, max=200))


class ResetRequestSchema(ma.Schema):
    what = ma.fields.String(required=True, validate=V.OneOf(["pin", "password"]))
    card_number = Card(validate=V.Length(min=1, max=32))
    email = ma.fields.String(validate=V.Length(min=3, max=254))

    @ma.validates_schema
    def _one_identifier(self, data, **kwargs):
        if not data.get("card_number") and not data.get("email"):
            raise ma.ValidationError("card_number or email is required", "card_number")


class StaffResetRequestSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=V.Length(min=3, max=254))


class ResetConfirmSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    new_secret = ma.fields.String(
        required=True,
        validate=V.Length(min=1, max=PASSWORD_MAX),
        metadata={"description": "The new PIN (4 to 8 digits) or password"},
    )


class AcceptedSchema(ma.Schema):
    status = ma.fields.String()


# --- me ---------------------------------------------------------------------------


class PlaceSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    code = ma.fields.String()
    name = ma.fields.String()


class MeSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    role = Computed(lambda _: "patron", ma.fields.String(validate=V.OneOf(["patron"])))
    card_number = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    login_email = ma.fields.String(allow_none=True, metadata={"description": "Verified email for password sign-in"})
    pending_email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    language = ma.fields.String()
    status = ma.fields.String()
    has_password = Computed(lambda p: p.password_hash is not None, ma.fields.Boolean())
    home_network = ma.fields.Nested(PlaceSchema)
    home_library = ma.fields.Nested(PlaceSchema, allow_none=True)


class MeUpdateSchema(ma.Schema):
    language = Language()
    email = Email(allow_none=True, validate=V.Length(max=254))
    phone = ma.fields.String(allow_none=True, validate=V.Regexp(r"^\+?[0-9 ]{6,20}$"))


class CredentialsSchema(ma.Schema):
    pin = ma.fields.String(
        required=True, validate=V.Length(min=1, max=64), metadata={"description": "Current PIN, to confirm"}
    )
    email = Email(required=True, validate=V.Length(max=254))
    password = _password_field(required=True)


class CredentialsResultSchema(ma.Schema):
    pending_email = ma.fields.String()


class MembershipSchema(ma.Schema):
    token = ma.fields.String(metadata={"description": "Show as a QR code; the desk scans or types it"})
    expires_at = UtcDateTime()
    qr_svg = ma.fields.String(metadata={"description": "The token as an SVG QR code (data: URI)"})


# --- staff: patrons ------------------------------------------------------------------


class PatronStaffSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    card_number = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    email = ma.fields.String(
        allow_none=True,
        metadata={"description": "Only for staff of the patron's home network: null for another network's staff"},
    )
    phone = ma.fields.String(
        allow_none=True,
        metadata={"description": "Only for staff of the patron's home network: null for another network's staff"},
    )
    language = ma.fields.String()
    status = ma.fields.String()
    home_network = ma.fields.Nested(PlaceSchema)
    home_library = ma.fields.Nested(PlaceSchema, allow_none=True)


class PatronCreateSchema(ma.Schema):
    card_number = Card(required=True, validate=V.Regexp(r"^[A-Za-z0-9]{4,32}$"))
    first_name = ma.fields.String(required=True, validate=V.Length(min=1, max=120))
    last_name = ma.fields.String(required=True, validate=V.Length(min=1, max=120))
    email = Email(validate=V.Length(max=254))
    phone = ma.fields.String(validate=V.Regexp(r"^\+?[0-9 ]{6,20}$"))
    language = Language(load_default="it")
    home_library_id = ma.fields.String(required=True)
    pin = _pin_field(required=True)


class CardLookupSchema(ma.Schema):
    card_number = Card(required=True, validate=V.Length(min=1, max=32))


class IdentifySchema(ma.Schema):
    token = ma.fields.String(
        required=True,
        validate=V.Length(min=1, max=64),
        metadata={"description": "Membership code scanned from the app or typed"},
    )


class BatchPatronSchema(ma.Schema):
    card_number = Card(required=True, validate=V.Regexp(r"^[A-Za-z0-9]{4,32}$"))
    first_name = ma.fields.String(required=True, validate=V.Length(min=1, max=120))
    last_name = ma.fields.String(required=True, validate=V.Length(min=1, max=120))
    email = Email(validate=V.Length(max=254))
    phone = ma.fields.String(validate=V.Regexp(r"^\+?[0-9 ]{6,20}$"))
    language = Language()
    library_code = ma.fields.String(validate=V.Length(min=1, max=32))
    pin = _pin_field("4 to 8 digits; used only when the patron is created")


class BatchSchema(ma.Schema):
    patrons = ma.fields.List(ma.fields.Nested(BatchPatronSchema), required=True, validate=V.Length(min=1, max=1000))

    @ma.validates_schema
    def _unique_cards(self, data, **kwargs):
        cards = [row["card_number"].upper() for row in data.get("patrons", [])]
        if len(cards) != len(set(cards)):
            raise ma.ValidationError("each card_number at most once per batch", "patrons")


class BatchRowSchema(ma.Schema):
    card_number = ma.fields.String()
    result = ma.fields.String(metadata={"description": "created, updated, unchanged or rejected"})
    id = Computed(lambda r: r.patron.public_id if r.patron is not None else None, ma.fields.String(), allow_none=True)
    error = ma.fields.String(allow_none=True)


class BatchResultSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(BatchRowSchema))


# --- admin ------------------------------------------------------------------------------


class LibrarySchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    code = ma.fields.String()
    name = ma.fields.String()
    city = ma.fields.String()
    address = ma.fields.String()


class LibraryCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=V.Regexp(r"^[A-Z0-9_-]{1,32}$"))
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    city = ma.fields.String(load_default="", validate=V.Length(max=120))
    address = ma.fields.String(load_default="", validate=V.Length(max=300))


class LibraryListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(LibrarySchema))


class StaffSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String()
    active = ma.fields.Boolean()
    language = ma.fields.String()
    libraries = ma.fields.List(ma.fields.Nested(PlaceSchema))
    partner_venue_id = Computed(
        lambda u: u.partner_venue.public_id if u.partner_venue else None, ma.fields.String(), allow_none=True
    )


class StaffCreateSchema(ma.Schema):
    email = Email(required=True, validate=V.Length(max=254))
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    role = ma.fields.String(required=True, validate=V.OneOf(["librarian", "partner", "finance", "admin"]))
    password = _password_field(required=True)
    library_ids = ma.fields.List(ma.fields.String(), load_default=list)
    partner_venue_id = ma.fields.String(load_default=None)
    language = Language(load_default="it")


class StaffListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(StaffSchema))


class StaffMeSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String()
    language = ma.fields.String()
    network = ma.fields.Nested(PlaceSchema)
    libraries = ma.fields.List(ma.fields.Nested(PlaceSchema))
    partner_venue_id = Computed(
        lambda u: u.partner_venue.public_id if u.partner_venue else None, ma.fields.String(), allow_none=True
    )
