"""Patron API: inbox, unread count, preferences, devices; admin: failed deliveries."""

from __future__ import annotations

from typing import cast

from flask.views import MethodView

from backend.accounts.models import Patron
from backend.errors import NOT_FOUND
from backend.notify import services
from backend.notify.schemas import (
    DeviceListSchema,
    DeviceRequestSchema,
    DeviceSchema,
    FailedDeliverySchema,
    InboxArgsSchema,
    MarkedSchema,
    NotificationSchema,
    PreferencesSchema,
    UnreadCountSchema,
)
from backend.pagination import PageArgsSchema, page_schema
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.policy import allow, current_person, require_principal

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/v1/notifications",
    description="Inbox, notification preferences and push devices",
)


def _me() -> Patron:
    # Every view here allows patrons only. A deleted patron's inbox answers 404 (its
    # contract), not the usual 401.
    return cast(Patron, current_person(gone=NOT_FOUND))


@blp.route("")
class Inbox(MethodView):
    @allow("patron")
    @blp.arguments(InboxArgsSchema, location="query")
    @blp.response(200, page_schema(NotificationSchema))
    def get(self, args):
        """My notifications, newest first"""
        return services.inbox(
            db.session,
            _me(),
            limit=args["limit"],
            starting_after=args["starting_after"],
            unread_only=args["unread_only"],
        )


@blp.route("/unread-count")
class UnreadCount(MethodView):
    @allow("patron")
    @blp.response(200, UnreadCountSchema)
    def get(self):
        """How many of my notifications are unread (for the app badge)"""
        return {"unread": services.unread_count(db.session, _me())}


@blp.route("/<notification_id>/read")
class MarkRead(MethodView):
    @allow("patron")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of my notifications read"""
        return services.mark_read(db.session, _me(), notification_id)

    add_error_responses(post, 404)


@blp.route("/read-all")
class MarkAllRead(MethodView):
    @allow("patron")
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark all my notifications read"""
        return {"marked": services.mark_all_read(db.session, _me())}


@blp.route("/preferences")
class Preferences(MethodView):
    @allow("patron")
    @blp.response(200, PreferencesSchema)
    def get(self):
        """My notification preferences per category"""
        return services.preferences_of(db.session, _me())

    @allow("patron")
    @blp.arguments(PreferencesSchema)
    @blp.response(200, PreferencesSchema)
    def patch(self, changes):
        """Change some of my preferences (transactional messages cannot be switched off)"""
        return services.update_preferences(db.session, _me(), changes)


@blp.route("/devices")
class Devices(MethodView):
    @allow("patron")
    @blp.response(200, DeviceListSchema)
    def get(self):
        """My registered push devices"""
        return {"data": services.devices_of(db.session, _me())}

    @allow("patron")
    @blp.arguments(DeviceRequestSchema)
    @blp.response(201, DeviceSchema)
    def post(self, body):
        """Register this phone (FCM token) or browser (Web Push subscription) for push"""
        if body["kind"] == "fcm":
            address, keys = body["token"], {}
        else:
            subscription = body["subscription"]
            address, keys = subscription["endpoint"], subscription["keys"]
        return services.register_device(
            db.session,
            _me(),
            kind=body["kind"],
            address=address,
            p256dh=keys.get("p256dh"),
            auth=keys.get("auth"),
            label=body["label"],
        )

    add_error_responses(post, 422)


@blp.route("/devices/<device_id>")
class OneDevice(MethodView):
    @allow("patron")
    @blp.response(204)
    def delete(self, device_id):
        """Unregister a device: nothing more is pushed to it"""
        services.unregister_device(db.session, _me(), device_id)

    add_error_responses(delete, 404)


@blp.route("/failed-deliveries")
class FailedDeliveries(MethodView):
    @allow("admin")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(FailedDeliverySchema))
    def get(self, args):
        """Dead-lettered deliveries to my network's patrons and staff, newest first"""
        return services.dead_deliveries(
            db.session, require_principal().network_id, limit=args["limit"], starting_after=args["starting_after"]
        )


@blp.route("/failed-deliveries/<delivery_id>/retry")
class RetryDelivery(MethodView):
    @allow("admin")
    @blp.response(200, FailedDeliverySchema)
    def post(self, delivery_id):
        """Queue one more try of a dead delivery (e.g. after fixing the mail server)"""
        return services.retry_dead_delivery(db.session, require_principal().network_id, delivery_id)

    add_error_responses(post, 404)
