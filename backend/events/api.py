"""HTTP layer of events and tickets (``/v1/events``). Thin: parse, authorize, call one service."""

from __future__ import annotations

from flask.views import MethodView

from backend.events import access, catalog, checkin, purchase, qr, tickets, waitlist
from backend.events import schemas as s
from backend.pagination import PageArgsSchema, page_schema
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, current_person, public, require_principal
from backend.web.settings import current_settings
from backend.web.unit_of_work import write_last

blp = Blueprint(
    "events",
    __name__,
    url_prefix="/v1/events",
    description="Cose da Fare: events, tickets, door check-in, waiting lists",
)
STAFF = ("librarian", "admin")


# --- discovery (public) ------------------------------------------------------------------


@blp.route("/occurrences")
class Occurrences(MethodView):
    @public
    @blp.arguments(s.OccurrenceSearchArgsSchema, location="query")
    @blp.response(200, page_schema(s.OccurrenceSchema))
    @blp.doc(summary="Upcoming dates: by date range, library, network, category, free/paid, text, near a point")
    def get(self, args):
        return catalog.search_occurrences(db.session, args)


@blp.route("/occurrences/<occurrence_id>")
class OccurrenceDetail(MethodView):
    @public
    @blp.response(200, s.OccurrenceDetailSchema)
    @blp.doc(summary="One date with live availability and its ticket types with prices")
    def get(self, occurrence_id):
        return catalog.public_occurrence(db.session, occurrence_id)


add_error_responses(OccurrenceDetail.get, 404)


@blp.route("/keys")
class TicketKeys(MethodView):
    @public
    @blp.response(200, s.JwksSchema)
    @blp.doc(summary="Public keys (JWKS) that verify ticket QR codes offline")
    def get(self):
        return qr.jwks(current_settings())


@blp.route("/<event_id>")
class EventDetail(MethodView):
    @public
    @blp.response(200, s.EventSchema)
    @blp.doc(summary="Event detail: description, venue, ticket types, dates")
    def get(self, event_id):
        return catalog.published_event(db.session, event_id)


add_error_responses(EventDetail.get, 404)


# --- buying (patron) ---------------------------------------------------------------------


@blp.route("/occurrences/<occurrence_id>/orders")
class Orders(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.PurchaseSchema)
    @blp.response(201, s.PurchaseResultSchema)
    @blp.alt_response(
        202,
        schema=s.PurchaseResultSchema,
        description="Awaiting a card top-up of at least `shortfall`: seats kept until `expires_at`",
    )
    @blp.doc(summary="Buy tickets (or register for free ones) with the wallet")
    def post(self, data, occurrence_id):
        items = [purchase.Item(i["ticket_type"], i["quantity"]) for i in data["items"]]
        sale = purchase.open_sale(db.session, occurrence_id, items)  # refusals before loading the buyer
        # The buyer is read and locked in one statement (``sell`` counts their tickets under that lock).
        buyer = current_person(lock=True)
        result = purchase.sell(
            db.session, buyer, sale, pay_shortfall_by_card=data["pay_shortfall_by_card"], locked=True
        )
        # The seats lock the row every buyer of this date updates: taken once the response
        # is rendered and stored, just before the commit (a sell-out then refuses and rolls back).
        write_last(lambda: purchase.take_sale_seats(db.session, sale))
        return result, (202 if result.order.status == "awaiting_payment" else 201)


add_error_responses(Orders.post, 404, 409, 422)


@blp.route("/orders")
class MyOrders(MethodView):
    @allow("patron")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.OrderSchema))
    @blp.doc(summary="My orders, newest first (completed, awaiting payment, expired, cancelled), with their tickets")
    def get(self, args):
        return tickets.my_orders(
            db.session, current_person(), limit=args["limit"], starting_after=args["starting_after"]
        )


@blp.route("/orders/<order_id>")
class OrderDetail(MethodView):
    @allow("patron")
    @blp.response(200, s.OrderSchema)
    @blp.doc(summary="One of my orders")
    def get(self, order_id):
        return purchase.own_order(db.session, current_person(), order_id)


add_error_responses(OrderDetail.get, 404)


@blp.route("/orders/<order_id>/pay")
class OrderPay(MethodView):
    @allow("patron")
    @idempotent
    @blp.response(200, s.OrderSchema)
    @blp.doc(summary="Pay an order awaiting payment from the wallet now (after a top-up)")
    def post(self, order_id):
        patron = current_person()
        return purchase.complete_order(
            db.session, purchase.own_order(db.session, patron, order_id), actor=patron.public_id
        )


add_error_responses(OrderPay.post, 404, 409, 422)


@blp.route("/orders/<order_id>/cancel")
class OrderCancel(MethodView):
    @allow("patron")
    @blp.response(200, s.OrderSchema)
    @blp.doc(summary="Give up an order awaiting payment (its seats go back on sale)")
    def post(self, order_id):
        return tickets.cancel_pending_order(db.session, purchase.own_order(db.session, current_person(), order_id))


add_error_responses(OrderCancel.post, 404, 409)


# --- my tickets ---------------------------------------------------------------------------


@blp.route("/tickets")
class MyTickets(MethodView):
    @allow("patron")
    @blp.arguments(s.TicketListArgsSchema, location="query")
    @blp.response(200, page_schema(s.TicketSchema))
    @blp.doc(summary="My tickets (upcoming unless include_past), newest first, with their QR codes")
    def get(self, args):
        return tickets.my_tickets(
            db.session,
            current_person(),
            limit=args["limit"],
            starting_after=args["starting_after"],
            include_past=args["include_past"],
        )


@blp.route("/tickets/<ticket_id>")
class MyTicket(MethodView):
    @allow("patron")
    @blp.response(200, s.TicketSchema)
    @blp.doc(summary="One of my tickets")
    def get(self, ticket_id):
        return tickets.own_ticket(db.session, current_person(), ticket_id)


add_error_responses(MyTicket.get, 404)


@blp.route("/tickets/<ticket_id>/cancel")
class TicketCancel(MethodView):
    @allow("patron")
    @idempotent
    @blp.response(200, s.TicketSchema)
    @blp.doc(summary="Cancel a ticket before the cut-off: its price goes back to the wallet")
    def post(self, ticket_id):
        return tickets.cancel_ticket(db.session, current_person(), ticket_id)


add_error_responses(TicketCancel.post, 404, 409, 422)


@blp.route("/tickets/<ticket_id>/reissue")
class TicketReissue(MethodView):
    @allow("patron")
    @blp.response(200, s.TicketSchema)
    @blp.doc(summary="New QR code for a ticket: every earlier code of it stops working")
    def post(self, ticket_id):
        return tickets.reissue(db.session, current_person(), ticket_id)


add_error_responses(TicketReissue.post, 404, 409)


# --- waiting list ----------------------------------------------------------------------------


@blp.route("/occurrences/<occurrence_id>/waitlist")
class WaitlistJoin(MethodView):
    @allow("patron")
    @blp.arguments(s.WaitlistJoinSchema)
    @blp.response(201, s.WaitlistEntrySchema)
    @blp.doc(summary="Join the waiting list of a sold-out date")
    def post(self, data, occurrence_id):
        return waitlist.join(db.session, current_person(), occurrence_id, data["ticket_type"], data["quantity"])


add_error_responses(WaitlistJoin.post, 404, 409, 422)


@blp.route("/waitlist")
class MyWaitlist(MethodView):
    @allow("patron")
    @blp.response(200, s.WaitlistEntrySchema(many=True))
    @blp.doc(summary="My places on waiting lists (waiting or offered)")
    def get(self):
        return waitlist.my_entries(db.session, current_person())


@blp.route("/waitlist/<entry_id>/accept")
class WaitlistAccept(MethodView):
    @allow("patron")
    @idempotent
    @blp.response(201, s.OrderSchema)
    @blp.doc(summary="Take the offered places (paid from the wallet)")
    def post(self, entry_id):
        return waitlist.accept(db.session, current_person(), entry_id)


add_error_responses(WaitlistAccept.post, 404, 409, 422)


@blp.route("/waitlist/<entry_id>/leave")
class WaitlistLeave(MethodView):
    @allow("patron")
    @blp.response(200, s.WaitlistEntrySchema)
    @blp.doc(summary="Leave a waiting list (an open offer passes to the next person)")
    def post(self, entry_id):
        return waitlist.leave(db.session, current_person(), entry_id)


add_error_responses(WaitlistLeave.post, 404, 409)


# --- organizers ---------------------------------------------------------------------------------


@blp.route("/manage")
class ManagedEvents(MethodView):
    @allow(*STAFF)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.EventSchema))
    @blp.doc(summary="Events I organize (drafts included)")
    def get(self, args):
        return catalog.managed_events(
            db.session, require_principal(), limit=args["limit"], starting_after=args["starting_after"]
        )

    @allow(*STAFF)
    @blp.arguments(s.EventCreateSchema)
    @blp.response(201, s.EventSchema)
    @blp.doc(summary="Create an event (draft) with its ticket types and dates")
    def post(self, data):
        return catalog.create_event(db.session, require_principal(), data)


add_error_responses(ManagedEvents.post, 404, 422)


@blp.route("/manage/<event_id>")
class ManagedEvent(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.EventSchema)
    @blp.doc(summary="One of my events")
    def get(self, event_id):
        return access.managed_event(db.session, require_principal(), event_id)

    @allow(*STAFF)
    @blp.arguments(s.EventUpdateSchema)
    @blp.response(200, s.EventSchema)
    @blp.doc(summary="Change an event's details")
    def patch(self, data, event_id):
        return catalog.update_event(db.session, access.managed_event(db.session, require_principal(), event_id), data)


add_error_responses(ManagedEvent.get, 404)
add_error_responses(ManagedEvent.patch, 404, 409)


@blp.route("/manage/<event_id>/ticket-types")
class ManagedTicketTypes(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.TicketTypeInSchema)
    @blp.response(201, s.TicketTypeSchema)
    @blp.doc(summary="Add a ticket type")
    def post(self, data, event_id):
        return catalog.add_ticket_type(
            db.session, access.managed_event(db.session, require_principal(), event_id), data
        )


add_error_responses(ManagedTicketTypes.post, 404, 409)


@blp.route("/manage/<event_id>/occurrences")
class ManagedOccurrences(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.OccurrenceInSchema)
    @blp.response(201, s.OccurrenceBriefSchema)
    @blp.doc(summary="Add a date (Europe/Rome local time)")
    def post(self, data, event_id):
        return catalog.add_occurrence(db.session, access.managed_event(db.session, require_principal(), event_id), data)


add_error_responses(ManagedOccurrences.post, 404, 409, 422)


@blp.route("/manage/<event_id>/publish")
class PublishEvent(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.EventSchema)
    @blp.doc(summary="Publish a draft: it appears in the app and goes on sale")
    def post(self, event_id):
        return catalog.publish(db.session, access.managed_event(db.session, require_principal(), event_id))


add_error_responses(PublishEvent.post, 404, 409, 422)


@blp.route("/manage/<event_id>/cancel")
class CancelEvent(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.response(200, s.CancellationSchema)
    @blp.doc(summary="Cancel the event: every date cancelled, every ticket refunded, holders notified")
    def post(self, event_id):
        principal = require_principal()
        return catalog.cancel_event(
            db.session, access.managed_event(db.session, principal, event_id), actor=principal.subject
        )


add_error_responses(CancelEvent.post, 404)


@blp.route("/manage/occurrences/<occurrence_id>/cancel")
class CancelOccurrence(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.response(200, s.CancellationSchema)
    @blp.doc(summary="Cancel one date: every ticket refunded to the wallet, holders notified")
    def post(self, occurrence_id):
        principal = require_principal()
        return tickets.cancel_occurrence(
            db.session, access.managed_occurrence(db.session, principal, occurrence_id), actor=principal.subject
        )


add_error_responses(CancelOccurrence.post, 404)


@blp.route("/manage/occurrences/<occurrence_id>/capacity")
class OccurrenceCapacity(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.CapacitySchema)
    @blp.response(200, s.OccurrenceBriefSchema)
    @blp.doc(summary="Change a date's capacity (not below the seats already taken)")
    def put(self, data, occurrence_id):
        return catalog.change_capacity(
            db.session, access.managed_occurrence(db.session, require_principal(), occurrence_id), data["capacity"]
        )


add_error_responses(OccurrenceCapacity.put, 404, 422)


@blp.route("/manage/occurrences/<occurrence_id>/door")
class DoorCount(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.DoorCountSchema)
    @blp.doc(summary="Live door count: checked in so far, seats taken, capacity")
    def get(self, occurrence_id):
        return checkin.door_count(db.session, access.managed_occurrence(db.session, require_principal(), occurrence_id))


add_error_responses(DoorCount.get, 404)


# --- door ------------------------------------------------------------------------------------------


@blp.route("/checkins")
class CheckIns(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ScanSchema)
    @blp.response(201, s.CheckInSchema)
    @blp.doc(summary="Check a scanned ticket in (once: a second scan is 409 with when and where)")
    def post(self, data):
        return checkin.scan(
            db.session,
            current_settings(),
            require_principal(),
            data["code"],
            gate=data["gate"],
            occurrence_id=data.get("occurrence"),
        )


add_error_responses(CheckIns.post, 409, 422)


@blp.route("/checkins/batch")
class CheckInBatch(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ScanBatchSchema)
    @blp.response(200, s.ScanBatchResultSchema)
    @blp.doc(summary="Upload offline scans: each judged alone, re-uploads deduplicated by scan_id")
    def post(self, data):
        results = checkin.scan_batch(db.session, current_settings(), require_principal(), data["scans"])
        return {
            "results": results,
            "accepted": sum(r.outcome == "accepted" for r in results),
            "conflicts": sum(r.outcome == "already_checked_in" for r in results),
            "invalid": sum(r.outcome == "invalid" for r in results),
        }
