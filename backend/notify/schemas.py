"""Request and response shapes of the notifications API."""

from __future__ import annotations

import marshmallow as ma

from backend.money import MAX_AMOUNT, StrictInteger
from backend.pagination import PageArgsSchema
from backend.schema_fields import Computed, StrictBoolean, UtcDateTime


class NotificationSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True, metadata={"example": "ntf_3f9a0c…"})
    kind = ma.fields.String(required=True, metadata={"example": "topup_succeeded"})
    category = ma.fields.String(
        required=True,
        metadata={"description": "transactional, reminders, campaign_news or marketing"},
    )
    language = ma.fields.String(required=True, metadata={"example": "it"})
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    data = ma.fields.Dict(
        required=True,
        metadata={
            "description": "The values of the message (money as {amount, currency}, "
            "times in Europe/Rome with offset), for deep links"
        },
    )
    created_at = UtcDateTime(required=True)
    read_at = UtcDateTime(allow_none=True, required=True)


class InboxArgsSchema(PageArgsSchema):
    unread_only = ma.fields.Boolean(load_default=False)


class UnreadCountSchema(ma.Schema):
    unread = ma.fields.Integer(required=True)


class MarkedSchema(ma.Schema):
    marked = ma.fields.Integer(required=True, metadata={"description": "Notifications marked read"})


class PreferencesSchema(ma.Schema):
    transactional = ma.fields.Boolean(
        dump_only=True, metadata={"description": "Receipts and account messages: always on"}
    )
    reminders = StrictBoolean(metadata={"description": "Event reminders (on by default)"})
    campaign_news = StrictBoolean(metadata={"description": "+Teca campaign news (on by default)"})
    marketing = StrictBoolean(metadata={"description": "Partner offers (opt-in, off by default)"})
    email = StrictBoolean(metadata={"description": "Also send by email"})
    push = StrictBoolean(metadata={"description": "Also send as push to registered devices"})
    low_balance_threshold = StrictInteger(
        allow_none=True,
        validate=ma.validate.Range(min=0, max=MAX_AMOUNT),
        metadata={"description": "Warn when the wallet drops below this many cents; null: never"},
    )


class WebPushKeysSchema(ma.Schema):
    p256dh = ma.fields.String(required=True, validate=ma.validate.Length(min=20, max=200))
    auth = ma.fields.String(required=True, validate=ma.validate.Length(min=8, max=100))


class WebPushSubscriptionSchema(ma.Schema):
    endpoint = ma.fields.Url(required=True, schemes={"https"}, validate=ma.validate.Length(max=1000))
    keys = ma.fields.Nested(WebPushKeysSchema, required=True)


class DeviceRequestSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(("fcm", "webpush")))
    token = ma.fields.String(
        validate=ma.validate.Length(min=10, max=1000),
        metadata={"description": "FCM registration token (kind fcm)"},
    )
    subscription = ma.fields.Nested(
        WebPushSubscriptionSchema, metadata={"description": "PushSubscription JSON (kind webpush)"}
    )
    label = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))

    @ma.validates_schema
    def _one_address(self, data, **kwargs):
        if data["kind"] == "fcm" and not data.get("token"):
            raise ma.ValidationError("required for kind fcm", "token")
        if data["kind"] == "webpush" and not data.get("subscription"):
            raise ma.ValidationError("required for kind webpush", "subscription")


class DeviceSchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True, metadata={"example": "dev_91c2…"})
    kind = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


class DeviceListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(DeviceSchema), required=True)


class FailedDeliverySchema(ma.Schema):
    id = ma.fields.String(attribute="public_id", required=True)
    channel = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    attempts = ma.fields.Integer(required=True)
    last_error = ma.fields.String(allow_none=True, required=True)
    notification_id = Computed(lambda d: d.notification.public_id, ma.fields.String(), required=True)
    kind = Computed(lambda d: d.notification.kind, ma.fields.String(), required=True)
    recipient = Computed(
        lambda d: (d.notification.patron or d.notification.staff_user).public_id,
        ma.fields.String(),
        required=True,
        metadata={"description": "Public id of the patron or staff user"},
    )
    created_at = UtcDateTime(required=True)
