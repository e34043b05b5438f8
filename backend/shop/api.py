"""HTTP layer of the library shop (``/v1/shop``). Thin: parse, authorize, call one service."""

from __future__ import annotations

from flask.views import MethodView

from backend.pagination import page_schema
from backend.receipts.http import RECEIPT_RESPONSES, ReceiptFormatArgs, receipt_response
from backend.shop import catalog, counter, orders, rooms
from backend.shop import receipts as shop_receipts
from backend.shop import schemas as s
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, current_person, require_principal
from backend.web.settings import current_settings

blp = Blueprint(
    "shop",
    __name__,
    url_prefix="/v1/shop",
    description="The library shop: items and rooms for sale, carts paid from the wallet, desk sales",
)
STAFF = ("librarian", "admin")


def _receipt(receipt, args):
    order = shop_receipts.order_of_receipt(db.session, receipt)
    return receipt_response(
        shop_receipts.ShopReceipt(receipt, order), args, html=shop_receipts.render_html, pdf=shop_receipts.render_pdf
    )


# --- browsing (patrons) -----------------------------------------------------------------------


@blp.route("/libraries")
class ShopLibraries(MethodView):
    @allow("patron", *STAFF)
    @blp.response(200, s.ShopLibrarySchema(many=True))
    @blp.doc(summary="Libraries with something on sale or a room to book, and their categories")
    def get(self):
        return catalog.shop_libraries(db.session)


@blp.route("/libraries/<library_id>/items")
class LibraryItems(MethodView):
    @allow("patron", *STAFF)
    @blp.arguments(s.ShopItemSearchArgsSchema, location="query")
    @blp.response(200, page_schema(s.ShopItemSchema))
    @blp.doc(summary="What a library sells now, by category")
    def get(self, args, library_id):
        return catalog.items_on_sale(
            db.session,
            library_id,
            category=args.get("category"),
            limit=args["limit"],
            starting_after=args["starting_after"],
        )


add_error_responses(LibraryItems.get, 404)


@blp.route("/libraries/<library_id>/items/<item_id>")
class LibraryItem(MethodView):
    @allow("patron", *STAFF)
    @blp.response(200, s.ShopItemSchema)
    @blp.doc(summary="One item on sale at the library")
    def get(self, library_id, item_id):
        return catalog.item_on_sale(db.session, library_id, item_id)


add_error_responses(LibraryItem.get, 404)


@blp.route("/libraries/<library_id>/rooms")
class LibraryRooms(MethodView):
    @allow("patron", *STAFF)
    @blp.response(200, s.RoomSchema(many=True))
    @blp.doc(summary="The library's bookable rooms")
    def get(self, library_id):
        return rooms.rooms_of(db.session, library_id, principal=require_principal())


add_error_responses(LibraryRooms.get, 404)


@blp.route("/libraries/<library_id>/opening-hours")
class LibraryOpeningHours(MethodView):
    @allow("patron", *STAFF)
    @blp.response(200, s.OpeningIntervalSchema(many=True))
    @blp.doc(summary="The library's weekly opening hours (Europe/Rome), when rooms can be booked")
    def get(self, library_id):
        return rooms.opening_hours(db.session, catalog.library_by_id(db.session, library_id))

    @allow(*STAFF)
    @blp.arguments(s.OpeningHoursInSchema)
    @blp.response(200, s.OpeningIntervalSchema(many=True))
    @blp.doc(summary="Replace the library's weekly opening hours")
    def put(self, data, library_id):
        return rooms.set_opening_hours(db.session, require_principal(), library_id, data["hours"])


add_error_responses(LibraryOpeningHours.get, 404)
add_error_responses(LibraryOpeningHours.put, 404)


@blp.route("/rooms/<room_id>/availability")
class RoomAvailability(MethodView):
    @allow("patron", *STAFF)
    @blp.arguments(s.RoomAvailabilityArgsSchema, location="query")
    @blp.response(200, s.RoomHourSchema(many=True))
    @blp.doc(summary="The room's hours on a day (Europe/Rome), free or taken")
    def get(self, args, room_id):
        return rooms.availability(db.session, room_id, args["date"])


add_error_responses(RoomAvailability.get, 404)


# --- buying (patrons) -------------------------------------------------------------------------


@blp.route("/orders")
class MyOrders(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.ShopCheckoutSchema)
    @blp.response(201, s.ShopOrderSchema)
    @blp.doc(summary="Pay a cart of one library's items from the wallet (insufficient funds: 422 with the shortfall)")
    def post(self, data):
        return orders.checkout(db.session, current_person(), data["library_id"], data["lines"])

    @allow("patron")
    @blp.arguments(s.PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.ShopOrderSchema))
    @blp.doc(summary="My shop orders, newest first")
    def get(self, args):
        return orders.my_orders(
            db.session, current_person(), limit=args["limit"], starting_after=args["starting_after"]
        )


add_error_responses(MyOrders.post, 404, 409, 422)


@blp.route("/orders/<order_id>")
class MyOrder(MethodView):
    @allow("patron")
    @blp.response(200, s.ShopOrderSchema)
    @blp.doc(summary="One of my orders")
    def get(self, order_id):
        return orders.my_order(db.session, current_person(), order_id)


add_error_responses(MyOrder.get, 404)


@blp.route("/orders/<order_id>/receipt")
class MyOrderReceipt(MethodView):
    @allow("patron")
    @blp.arguments(ReceiptFormatArgs, location="query")
    @blp.doc(responses=RECEIPT_RESPONSES)
    def get(self, args, order_id):
        """My order's receipt, with its lines, as printable HTML or PDF."""
        return _receipt(orders.my_receipt(db.session, current_person(), order_id), args)


add_error_responses(MyOrderReceipt.get, 404)


@blp.route("/printing-credit")
class PrintingCredit(MethodView):
    @allow("patron")
    @blp.response(200, s.PrintingCreditSchema(many=True))
    @blp.doc(summary="My printing credit, per network where I bought it")
    def get(self):
        return orders.my_printing_credit(db.session, current_person())


@blp.route("/rooms/<room_id>/bookings")
class RoomBookings(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.RoomBookingInSchema)
    @blp.response(201, s.RoomBookingSchema)
    @blp.doc(summary="Book a room by the hour within opening hours, paid from the wallet")
    def post(self, data, room_id):
        return rooms.book_room(db.session, current_person(), room_id, data["starts_at"], data["ends_at"])


add_error_responses(RoomBookings.post, 404, 409, 422)


@blp.route("/bookings")
class MyBookings(MethodView):
    @allow("patron")
    @blp.arguments(s.PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.RoomBookingSchema))
    @blp.doc(summary="My room bookings, newest first")
    def get(self, args):
        return rooms.my_bookings(
            db.session, current_person(), limit=args["limit"], starting_after=args["starting_after"]
        )


@blp.route("/bookings/<booking_id>/cancel")
class CancelBooking(MethodView):
    @allow("patron")
    @idempotent
    @blp.response(200, s.RoomBookingSchema)
    @blp.doc(summary="Cancel a booking: refunded to the wallet until the room's cut-off")
    def post(self, booking_id):
        return rooms.cancel_booking(db.session, current_person(), booking_id)


add_error_responses(CancelBooking.post, 404, 409, 422)


# --- managing (librarians, network admins) -----------------------------------------------------


@blp.route("/manage/items")
class StaffItems(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ShopStaffItemArgsSchema, location="query")
    @blp.response(200, page_schema(s.ShopItemSchema))
    @blp.doc(summary="Items I manage (one library's, or all of mine)")
    def get(self, args):
        return catalog.staff_items(
            db.session,
            require_principal(),
            library_id=args.get("library_id"),
            limit=args["limit"],
            starting_after=args["starting_after"],
        )

    @allow(*STAFF)
    @blp.arguments(s.ShopItemInSchema)
    @blp.response(201, s.ShopItemSchema)
    @blp.doc(summary="Add an item to a library's shop (or, network admins, to the network's)")
    def post(self, data):
        return catalog.create_item(db.session, require_principal(), data)


add_error_responses(StaffItems.get, 404)
add_error_responses(StaffItems.post, 404)


@blp.route("/manage/items/<item_id>")
class StaffItem(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.ShopItemSchema)
    @blp.doc(summary="One item I manage")
    def get(self, item_id):
        return catalog.item_for_staff(db.session, require_principal(), item_id)

    @allow(*STAFF)
    @blp.arguments(s.ShopItemPatchSchema)
    @blp.response(200, s.ShopItemSchema)
    @blp.doc(summary="Change an item (price, stock, availability…)")
    def patch(self, data, item_id):
        return catalog.update_item(db.session, require_principal(), item_id, data)


add_error_responses(StaffItem.get, 404)
add_error_responses(StaffItem.patch, 404)


@blp.route("/manage/rooms")
class StaffRooms(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.RoomInSchema)
    @blp.response(201, s.RoomSchema)
    @blp.doc(summary="Add a bookable room to a library")
    def post(self, data):
        return rooms.create_room(db.session, require_principal(), data)


add_error_responses(StaffRooms.post, 404)


@blp.route("/manage/rooms/<room_id>")
class StaffRoom(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.RoomPatchSchema)
    @blp.response(200, s.RoomSchema)
    @blp.doc(summary="Change a room")
    def patch(self, data, room_id):
        return rooms.update_room(db.session, require_principal(), room_id, data)


add_error_responses(StaffRoom.patch, 404)


@blp.route("/manage/libraries/<library_id>/orders")
class LibraryOrders(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ShopOrderArgsSchema, location="query")
    @blp.response(200, page_schema(s.ShopOrderSchema))
    @blp.doc(summary="The library's orders, newest first (optionally only some states)")
    def get(self, args, library_id):
        return orders.library_orders(
            db.session,
            require_principal(),
            library_id,
            states=args.get("state"),
            limit=args["limit"],
            starting_after=args["starting_after"],
        )


add_error_responses(LibraryOrders.get, 404)


@blp.route("/manage/libraries/<library_id>/to-prepare")
class ToPrepare(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.ShopOrderSchema(many=True))
    @blp.doc(summary="App orders to prepare or waiting to be collected, oldest first")
    def get(self, library_id):
        return orders.to_prepare(db.session, require_principal(), library_id)


add_error_responses(ToPrepare.get, 404)


@blp.route("/manage/libraries/<library_id>/bookings")
class LibraryBookings(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ShopDayArgsSchema, location="query")
    @blp.response(200, s.RoomBookingSchema(many=True))
    @blp.doc(summary="A day's room bookings at the library (Europe/Rome)")
    def get(self, args, library_id):
        return rooms.library_bookings(db.session, require_principal(), library_id, args["date"])


add_error_responses(LibraryBookings.get, 404)


@blp.route("/manage/orders/<order_id>")
class StaffOrder(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.ShopOrderSchema)
    @blp.doc(summary="One order of my libraries")
    def get(self, order_id):
        return orders.order_for_staff(db.session, require_principal(), order_id)


add_error_responses(StaffOrder.get, 404)


@blp.route("/manage/orders/<order_id>/ready")
class OrderReady(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.ShopOrderSchema)
    @blp.doc(summary="Prepared: the patron is told it waits at the library")
    def post(self, order_id):
        return orders.mark_ready(db.session, require_principal(), order_id)


add_error_responses(OrderReady.post, 404, 422)


@blp.route("/manage/orders/<order_id>/collected")
class OrderCollected(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.ShopOrderSchema)
    @blp.doc(summary="Handed over to the patron")
    def post(self, order_id):
        return orders.mark_collected(db.session, require_principal(), order_id)


add_error_responses(OrderCollected.post, 404, 422)


@blp.route("/manage/orders/<order_id>/refund")
class OrderRefund(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(s.ShopRefundInSchema)
    @blp.response(200, s.ShopOrderSchema)
    @blp.doc(summary="Refund the whole order: to the wallet, or in cash from the open session if paid in cash")
    def post(self, data, order_id):
        return orders.refund_order(
            db.session, require_principal(), current_person(), order_id, cash_session_id=data["cash_session_id"]
        )


add_error_responses(OrderRefund.post, 400, 404, 409, 422)


@blp.route("/manage/orders/<order_id>/receipt")
class StaffOrderReceipt(MethodView):
    @allow(*STAFF)
    @blp.arguments(ReceiptFormatArgs, location="query")
    @blp.doc(responses=RECEIPT_RESPONSES)
    def get(self, args, order_id):
        """The order's receipt, with its lines, as printable HTML or PDF."""
        return _receipt(orders.staff_receipt(db.session, require_principal(), order_id), args)


add_error_responses(StaffOrderReceipt.get, 404)


@blp.route("/manage/sales")
class DeskSales(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(s.ShopSaleInSchema)
    @blp.response(201, s.ShopOrderSchema)
    @blp.doc(
        summary="Ring up items or a free amount for a patron (card or membership QR): "
        "wallet (the patron confirms in the app within 2 min) or cash (the open cash session)"
    )
    def post(self, data):
        return counter.ring_up(db.session, current_settings(), require_principal(), current_person(), data)


add_error_responses(DeskSales.post, 400, 404, 409, 422)


@blp.route("/manage/printing-uses")
class PrintingUses(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(s.PrintingUseInSchema)
    @blp.response(201, s.PrintingCreditSchema)
    @blp.doc(summary="Printing done for a patron, paid from their printing credit (not enough: 422 with the shortfall)")
    def post(self, data):
        return orders.use_printing_credit(db.session, current_settings(), require_principal(), current_person(), data)


add_error_responses(PrintingUses.post, 400, 404, 409, 422)

blueprints = (blp,)
