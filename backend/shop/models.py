"""The library shop: items, rooms and opening hours, orders and their lines, room bookings.

An item belongs to one library or to a whole network (then sold by the libraries
listed in ``shop_item_libraries``, or by all of the network's when none is listed).
Stock, when kept, is decremented by a guarded update (``stock >= :quantity``) backed
by a CHECK, so it is never oversold.

An order is what a patron paid for at one library, in the app or at the desk: one
ledger entry, one receipt from the library's gap-free series. Room bookings are
orders too (one line), and their hours are claimed one row per hour in
``shop_room_slots``, unique per room and hour: two bookings of the same hour cannot
both commit, on PostgreSQL as on SQLite. Cancelling a booking deletes its slots.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Library, Network, Patron, StaffUser
from backend.confirmations.models import Confirmation
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin
from backend.money import Money
from backend.receipts.models import Receipt
from backend.states import Transitions, state_check

CATEGORIES = ("printing", "interlibrary_loan", "card", "merchandise", "used_books", "room", "course", "other")
# Categories handed over at the library (the order waits to be prepared and collected).
PICKUP_CATEGORIES = ("merchandise", "used_books", "card")
# How the receipt shows VAT: the rate included in the price, or why there is none.
VAT_TREATMENTS = ("vat_22", "vat_10", "vat_5", "vat_4", "exempt", "out_of_scope")


class ShopItem(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "shop_items"
    PUBLIC_ID_PREFIX = "itm"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    # NULL: a network item (sold where ``shop_item_libraries`` says, or everywhere in the network).
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"), index=True)
    name_it: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_it: Mapped[str] = mapped_column(String(2000), default="")
    description_en: Mapped[str] = mapped_column(String(2000), default="")
    image_url: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    vat: Mapped[str] = mapped_column(String(16), default="vat_22")
    # NULL: not counted (services, printing credit).
    stock: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    active_from: Mapped[datetime | None]
    active_to: Mapped[datetime | None]

    network: Mapped[Network] = relationship()
    library: Mapped[Library | None] = relationship()
    libraries: Mapped[list[Library]] = relationship(secondary="shop_item_libraries", order_by=Library.id)

    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint(
            "category IN (" + ", ".join(f"'{c}'" for c in CATEGORIES) + ")",
            name="category_valid",
        ),
        CheckConstraint("vat IN (" + ", ".join(f"'{v}'" for v in VAT_TREATMENTS) + ")", name="vat_valid"),
    )

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_it

    @property
    def money(self) -> Money:
        return Money(self.price, self.currency)

    @property
    def needs_pickup(self) -> bool:
        return self.category in PICKUP_CATEGORIES


class ShopItemLibrary(Base):
    """A network item sold by this library (none listed: every library of the network)."""

    __tablename__ = "shop_item_libraries"

    item_id: Mapped[int] = mapped_column(ForeignKey("shop_items.id", ondelete="CASCADE"), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), primary_key=True)


class OpeningHours(Base):
    """One opening interval of a library on a weekday, in Europe/Rome local time ("09:00"–"13:00")."""

    __tablename__ = "shop_opening_hours"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # ISO: 1 = Monday
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_valid"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )


class Room(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "shop_rooms"
    PUBLIC_ID_PREFIX = "room"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    name_it: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_it: Mapped[str] = mapped_column(String(2000), default="")
    description_en: Mapped[str] = mapped_column(String(2000), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    price_per_hour: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    vat: Mapped[str] = mapped_column(String(16), default="vat_22")
    # Cancelling refunds the wallet until this many hours before the start.
    cancel_cutoff_hours: Mapped[int] = mapped_column(Integer, default=24)
    active: Mapped[bool] = mapped_column(default=True)

    library: Mapped[Library] = relationship()

    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("price_per_hour > 0", name="price_positive"),
        CheckConstraint("cancel_cutoff_hours >= 0", name="cutoff_not_negative"),
    )

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_it


class OrderState(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # rung up at the desk, the patron confirms in the app
    DECLINED = "declined"
    EXPIRED = "expired"
    PAID = "paid"  # to prepare for pickup
    READY = "ready"  # waiting at the library
    COLLECTED = "collected"
    COMPLETED = "completed"  # nothing left to do: services, printing credit, rooms, desk sales
    REFUNDED = "refunded"


ORDER_TRANSITIONS = Transitions(
    OrderState,
    {
        OrderState.AWAITING_CONFIRMATION: {OrderState.COMPLETED, OrderState.DECLINED, OrderState.EXPIRED},
        OrderState.PAID: {OrderState.READY, OrderState.REFUNDED},
        OrderState.READY: {OrderState.COLLECTED, OrderState.REFUNDED},
        OrderState.COLLECTED: {OrderState.REFUNDED},
        OrderState.COMPLETED: {OrderState.REFUNDED},
    },
)
PAID_STATES = (OrderState.PAID, OrderState.READY, OrderState.COLLECTED, OrderState.COMPLETED)

APP, DESK = "app", "desk"
WALLET, CASH = "wallet", "cash"


class ShopOrder(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "shop_orders"
    PUBLIC_ID_PREFIX = "sor"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # app | desk
    method: Mapped[str] = mapped_column(String(8))  # wallet | cash
    state: Mapped[str] = mapped_column(String(24))
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    needs_pickup: Mapped[bool] = mapped_column(default=False)
    # The librarian who rang it up or refunded it (desk), the cash session that took or gave the cash.
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    cash_session_id: Mapped[int | None] = mapped_column(ForeignKey("cash_sessions.id"))
    confirmation_id: Mapped[int | None] = mapped_column(ForeignKey("confirmations.id"), unique=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    refund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    refund_receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    paid_at: Mapped[datetime | None]
    ready_at: Mapped[datetime | None]
    collected_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]

    network: Mapped[Network] = relationship()
    library: Mapped[Library] = relationship()
    patron: Mapped[Patron] = relationship()
    staff_user: Mapped[StaffUser | None] = relationship(foreign_keys=[staff_user_id])
    lines: Mapped[list[ShopOrderLine]] = relationship(back_populates="order", order_by="ShopOrderLine.id")
    confirmation: Mapped[Confirmation | None] = relationship()
    receipt: Mapped[Receipt | None] = relationship(foreign_keys=[receipt_id])
    refund_receipt: Mapped[Receipt | None] = relationship(foreign_keys=[refund_receipt_id])

    __table_args__ = (
        state_check("state", OrderState),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("channel IN ('app', 'desk')", name="channel_valid"),
        CheckConstraint("method IN ('wallet', 'cash')", name="method_valid"),
        Index("ix_shop_orders_library_id_state", "library_id", "state"),
    )

    @property
    def money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def confirmation_public_id(self) -> str | None:
        return self.confirmation.public_id if self.confirmation else None

    @property
    def receipt_public_id(self) -> str | None:
        return self.receipt.public_id if self.receipt else None

    @property
    def refund_receipt_public_id(self) -> str | None:
        return self.refund_receipt.public_id if self.refund_receipt else None


class ShopOrderLine(Base):
    __tablename__ = "shop_order_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_orders.id"), index=True)
    # NULL: a free amount rung up at the desk, or a room booking.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("shop_items.id"), index=True)
    # What the patron saw, as it was at the time (items get renamed and repriced).
    description: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(20))
    vat: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    order: Mapped[ShopOrder] = relationship(back_populates="lines")
    item: Mapped[ShopItem | None] = relationship()

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


class BookingState(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


BOOKING_TRANSITIONS = Transitions(BookingState, {BookingState.BOOKED: {BookingState.CANCELLED}})


class RoomBooking(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "shop_room_bookings"
    PUBLIC_ID_PREFIX = "rbk"

    room_id: Mapped[int] = mapped_column(ForeignKey("shop_rooms.id"), index=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_orders.id"), unique=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    hours: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default=BookingState.BOOKED)
    cancelled_at: Mapped[datetime | None]
    refunded: Mapped[bool] = mapped_column(default=False)

    room: Mapped[Room] = relationship()
    patron: Mapped[Patron] = relationship()
    order: Mapped[ShopOrder] = relationship()

    __table_args__ = (
        state_check("state", BookingState),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    @property
    def cancel_until(self) -> datetime:
        """Cancelling refunds the wallet until then."""
        return self.starts_at - timedelta(hours=self.room.cancel_cutoff_hours)


class RoomSlot(Base):
    """One booked hour of a room: the unique (room, hour) pair is what forbids double booking."""

    __tablename__ = "shop_room_slots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("shop_rooms.id"))
    starts_at: Mapped[datetime]
    booking_id: Mapped[int] = mapped_column(ForeignKey("shop_room_bookings.id"), index=True)

    __table_args__ = (UniqueConstraint("room_id", "starts_at"),)
