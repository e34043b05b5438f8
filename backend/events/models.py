"""Events, their occurrences and ticket types, orders, tickets, check-ins, waiting lists.

Seats are counted on the occurrence (``sold``, which includes seats held by
orders awaiting a card top-up and by open waiting-list offers) and changed
only by guarded single-row updates (``backend.events.seats``), so the CHECK
``sold <= capacity`` can never be violated and no request locks an
occurrence for longer than one short statement plus its commit.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Library, Network, Patron
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin
from backend.states import Transitions, state_check


class EventState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


EVENT_TRANSITIONS = Transitions(
    EventState,
    {
        EventState.DRAFT: {EventState.PUBLISHED, EventState.CANCELLED},
        EventState.PUBLISHED: {EventState.CANCELLED},
    },
)
TICKET_KINDS = ("full", "reduced", "free")
CATEGORIES = ("reading", "workshop", "film", "theatre", "music", "exhibition", "talk", "kids", "other")


class Event(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "events"
    PUBLIC_ID_PREFIX = "evt"

    # Organized by one library, or by a whole network (then library is NULL).
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    audience: Mapped[str] = mapped_column(String(120), default="")
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    accessibility: Mapped[str] = mapped_column(String(500), default="")
    image_url: Mapped[str | None] = mapped_column(String(500))
    venue_name: Mapped[str] = mapped_column(String(200))
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default=EventState.DRAFT)
    per_patron_limit: Mapped[int] = mapped_column(Integer, default=4)
    # Sales open this long before each occurrence (NULL: as soon as published)
    # and close this many minutes before it starts.
    sales_open_days: Mapped[int | None] = mapped_column(Integer)
    sales_close_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # Patrons may cancel (and get their money back) until this many hours before the start.
    cancel_cutoff_hours: Mapped[int] = mapped_column(Integer, default=24)
    # How long an order waiting for a card top-up keeps its seats.
    payment_hold_minutes: Mapped[int] = mapped_column(Integer, default=10)
    created_by: Mapped[str] = mapped_column(String(40), default="system")

    network: Mapped[Network] = relationship()
    library: Mapped[Library | None] = relationship()
    ticket_types: Mapped[list[TicketType]] = relationship(back_populates="event", order_by="TicketType.position")
    occurrences: Mapped[list[Occurrence]] = relationship(back_populates="event", order_by="Occurrence.starts_at")

    __table_args__ = (
        CheckConstraint("per_patron_limit >= 1", name="limit_positive"),
        state_check("status", EventState),
        Index("ix_events_status_category", "status", "category"),
    )

    @property
    def organizer_public_id(self) -> str:
        return self.library.public_id if self.library is not None else self.network.public_id


class TicketType(PublicIdMixin, Base):
    __tablename__ = "ticket_types"
    PUBLIC_ID_PREFIX = "tty"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    # What makes a patron eligible for a reduced ticket (shown, checked at the door).
    condition: Mapped[str] = mapped_column(String(300), default="")
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # Optional per-type cap within each occurrence's capacity (e.g. 20 reduced seats).
    capacity: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="ticket_types")

    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("(kind = 'free') = (price = 0)", name="free_iff_zero"),
    )


class OccurrenceState(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


OCCURRENCE_TRANSITIONS = Transitions(OccurrenceState, {OccurrenceState.SCHEDULED: {OccurrenceState.CANCELLED}})


class Occurrence(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "occurrences"
    PUBLIC_ID_PREFIX = "occ"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    capacity: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default=OccurrenceState.SCHEDULED)
    cancelled_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship(back_populates="occurrences")

    __table_args__ = (
        state_check("status", OccurrenceState),
        CheckConstraint("sold >= 0 AND sold <= capacity", name="sold_within_capacity"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )

    @property
    def available(self) -> int:
        return max(self.capacity - self.sold, 0)


class TypeSales(Base):
    """Seats taken per ticket type, only for types with their own capacity."""

    __tablename__ = "ticket_type_sales"

    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), primary_key=True)
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"), primary_key=True)
    sold: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("sold >= 0", name="sold_not_negative"),)


class OrderState(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # seats kept until expires_at, waiting for a card top-up
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# Orders are written completed or awaiting payment; only the latter moves on.
ORDER_TRANSITIONS = Transitions(
    OrderState,
    {
        OrderState.AWAITING_PAYMENT: {OrderState.COMPLETED, OrderState.EXPIRED, OrderState.CANCELLED},
    },
)


class Order(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "ticket_orders"
    PUBLIC_ID_PREFIX = "ord"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # The wallet payment (NULL for free tickets and until paid).
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    # Until when an order awaiting a card top-up keeps its seats.
    expires_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    patron: Mapped[Patron] = relationship()
    occurrence: Mapped[Occurrence] = relationship()
    tickets: Mapped[list[Ticket]] = relationship(back_populates="order", order_by="Ticket.id")

    __table_args__ = (
        Index("ix_ticket_orders_status_expires_at", "status", "expires_at"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        state_check("status", OrderState),
    )


class TicketState(StrEnum):
    RESERVED = "reserved"  # its order awaits payment
    VALID = "valid"
    USED = "used"  # checked in at the door: never refundable
    CANCELLED = "cancelled"  # refunded
    VOID = "void"  # its order was never paid


TICKET_TRANSITIONS = Transitions(
    TicketState,
    {
        TicketState.RESERVED: {TicketState.VALID, TicketState.VOID},
        TicketState.VALID: {TicketState.USED, TicketState.CANCELLED},
    },
)


class Ticket(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "tickets"
    PUBLIC_ID_PREFIX = "tkt"

    order_id: Mapped[int] = mapped_column(ForeignKey("ticket_orders.id"), index=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    status: Mapped[str] = mapped_column(String(12))
    # Signed into the QR code: bumping it makes every earlier QR of the ticket invalid.
    version: Mapped[int] = mapped_column(Integer, default=1)
    refund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    cancelled_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(back_populates="tickets")
    occurrence: Mapped[Occurrence] = relationship()
    ticket_type: Mapped[TicketType] = relationship()

    __table_args__ = (Index("ix_tickets_patron_id_id", "patron_id", "id"), state_check("status", TicketState))


class CheckIn(Base):
    """A ticket used at the door: at most one per ticket (the unique key decides races)."""

    __tablename__ = "ticket_checkins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    # Client-generated id of an offline scan, so re-uploading a batch changes nothing.
    scan_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    scanned_at: Mapped[datetime]
    gate: Mapped[str] = mapped_column(String(120), default="")
    staff: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class WaitlistState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # seats taken for the offer until offer_expires_at
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    LEFT = "left"
    CANCELLED = "cancelled"  # the date was cancelled


WAITLIST_TRANSITIONS = Transitions(
    WaitlistState,
    {
        WaitlistState.WAITING: {WaitlistState.OFFERED, WaitlistState.LEFT, WaitlistState.CANCELLED},
        WaitlistState.OFFERED: {
            WaitlistState.ACCEPTED,
            WaitlistState.EXPIRED,
            WaitlistState.LEFT,
            WaitlistState.CANCELLED,
        },
    },
)


class WaitlistEntry(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "waitlist_entries"
    PUBLIC_ID_PREFIX = "wl"

    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=WaitlistState.WAITING)
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_orders.id"))

    patron: Mapped[Patron] = relationship()
    occurrence: Mapped[Occurrence] = relationship()
    ticket_type: Mapped[TicketType] = relationship()

    __table_args__ = (
        Index("ix_waitlist_entries_occurrence_id_status_id", "occurrence_id", "status", "id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        state_check("status", WaitlistState),
    )
