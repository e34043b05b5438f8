"""Socialbook: reading guides, their items (shared catalogue records), follows, reading
progress and badges, links to events, and cultural kits with their reservations.

A book is one ``CatalogRecord`` (keyed by its ISBN-13 when it has one) however many
guides list it, so "guides that contain this book" is one join. A kit's units are
counted per day in ``KitDay`` and changed only by guarded single-row updates
(``booked + n <= units``, CHECK behind it): a unit is never double-booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Library, Network, Patron
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin
from backend.money import Money
from backend.states import Transitions, state_check


class GuideState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


GUIDE_TRANSITIONS = Transitions(
    GuideState,
    {
        GuideState.DRAFT: {GuideState.PUBLISHED},
        GuideState.PUBLISHED: {GuideState.DRAFT},
    },
)


class Visibility(StrEnum):
    EVERYONE = "everyone"  # patrons of every network
    NETWORK = "network"  # patrons of the curator's network only


class MediaType(StrEnum):
    BOOK = "book"
    EBOOK = "ebook"
    AUDIOBOOK = "audiobook"
    COMIC = "comic"
    FILM = "film"
    MUSIC = "music"
    GAME = "game"
    OTHER = "other"


class ReadingState(StrEnum):
    WANT_TO_READ = "want_to_read"
    READING = "reading"
    READ = "read"


# A reader may change their mind in any direction (re-reading a book is normal);
# staying in the same state is not a move.
READING_TRANSITIONS = Transitions(
    ReadingState, {state: {other for other in ReadingState if other != state} for state in ReadingState}
)


class OpacTemplate(Base):
    """How a network's OPAC links to a record: ``https://opac.example/record?isbn={isbn}``."""

    __tablename__ = "guide_opac_templates"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    url_template: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime]


class CatalogRecord(PublicIdMixin, TimestampMixin, Base):
    """One book or medium, shared by every guide that lists it."""

    __tablename__ = "catalog_records"
    PUBLIC_ID_PREFIX = "rec"

    # The network whose catalogue owns the record (its OPAC is linked).
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    isbn: Mapped[str | None] = mapped_column(String(13), unique=True)  # ISBN-13, digits only
    title: Mapped[str] = mapped_column(String(300))
    authors: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(12), default=MediaType.BOOK)
    cover_url: Mapped[str | None] = mapped_column(String(500))

    network: Mapped[Network] = relationship()

    __table_args__ = (state_check("media_type", MediaType),)

    @property
    def display_title(self) -> str:
        """The title, or the ISBN while the record has no title yet."""
        if self.title:
            return self.title
        from stdnum import isbn

        return f"ISBN {isbn.format(self.isbn)}" if self.isbn else "—"


@dataclass(frozen=True)
class Curator:
    kind: str  # library | network
    public_id: str
    name: str
    network_id: str


class Guide(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "guides"
    PUBLIC_ID_PREFIX = "gde"

    # Curated by one library, or by a whole network (then library is NULL).
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"), index=True)
    title_it: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    theme: Mapped[str] = mapped_column(String(80))
    description_it: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    cover_url: Mapped[str | None] = mapped_column(String(500))
    audience: Mapped[str] = mapped_column(String(120), default="")
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    # Space-separated lowercase tags ("bullismo scuola"): searched as words.
    tags: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default=GuideState.DRAFT)
    visibility: Mapped[str] = mapped_column(String(12), default=Visibility.EVERYONE)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    # Kept by guarded +1/-1 updates on follow/unfollow, for "most followed".
    followers: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(40))

    network: Mapped[Network] = relationship()
    library: Mapped[Library | None] = relationship()
    items: Mapped[list[GuideItem]] = relationship(back_populates="guide", order_by="GuideItem.position")

    __table_args__ = (
        state_check("state", GuideState),
        state_check("visibility", Visibility),
        CheckConstraint("followers >= 0", name="followers_not_negative"),
        CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name="age_band"),
        Index("ix_guides_state_followers", "state", "followers"),
    )

    @property
    def curator(self) -> Curator:
        if self.library is not None:
            return Curator("library", self.library.public_id, self.library.name, self.network.public_id)
        return Curator("network", self.network.public_id, self.network.name, self.network.public_id)

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_it

    def description(self, language: str) -> str:
        return self.description_en if language == "en" and self.description_en else self.description_it

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()


class GuideItem(PublicIdMixin, Base):
    __tablename__ = "guide_items"
    PUBLIC_ID_PREFIX = "gdi"

    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("catalog_records.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")  # the curator's note
    added_at: Mapped[datetime]

    guide: Mapped[Guide] = relationship(back_populates="items")
    record: Mapped[CatalogRecord] = relationship()

    __table_args__ = (UniqueConstraint("guide_id", "record_id"),)


class GuideEventLink(Base):
    """An event (all its dates) or one occurrence of it, linked to a guide."""

    __tablename__ = "guide_event_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    # NULL: every date of the event.
    occurrence_id: Mapped[int | None] = mapped_column(ForeignKey("occurrences.id"))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("guide_id", "event_id", "occurrence_id"),)


class GuideFollow(Base):
    __tablename__ = "guide_follows"

    # Keyset order of "my guides" (newest follow first).
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    created_at: Mapped[datetime]

    guide: Mapped[Guide] = relationship()

    __table_args__ = (
        UniqueConstraint("guide_id", "patron_id"),
        Index("ix_guide_follows_patron_id_id", "patron_id", "id"),
    )


class ReadingProgress(PublicIdMixin, Base):
    """Where a patron is with one book; shared by every guide that lists it."""

    __tablename__ = "reading_progress"
    PUBLIC_ID_PREFIX = "rdp"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("catalog_records.id"))
    state: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    record: Mapped[CatalogRecord] = relationship()

    __table_args__ = (
        UniqueConstraint("patron_id", "record_id"),
        state_check("state", ReadingState),
        Index("ix_reading_progress_patron_id_state_id", "patron_id", "state", "id"),
    )


class GuideBadge(PublicIdMixin, Base):
    """Earned once, when every item of a guide is read; kept if the guide grows later."""

    __tablename__ = "guide_badges"
    PUBLIC_ID_PREFIX = "bdg"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id"))
    awarded_at: Mapped[datetime]

    guide: Mapped[Guide] = relationship()

    __table_args__ = (UniqueConstraint("patron_id", "guide_id"),)


# --- cultural kits ------------------------------------------------------------------


class Kit(PublicIdMixin, TimestampMixin, Base):
    """A box a school or a group borrows: ``units`` identical copies, lent for up to ``loan_days``."""

    __tablename__ = "kits"
    PUBLIC_ID_PREFIX = "kit"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    units: Mapped[int] = mapped_column(Integer)
    loan_days: Mapped[int] = mapped_column(Integer)
    # Taken from the wallet at pick-up; the deposit comes back on return, the fee does not.
    deposit: Mapped[int] = mapped_column(BigInteger, default=0)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    # Charged through the fees domain per day late (0: lateness costs nothing).
    late_fee_per_day: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    active: Mapped[bool] = mapped_column(default=True)

    library: Mapped[Library] = relationship()
    guides: Mapped[list[Guide]] = relationship(secondary="kit_guides", order_by="Guide.id")

    __table_args__ = (
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("loan_days >= 1", name="loan_days_positive"),
        CheckConstraint("deposit >= 0 AND fee >= 0 AND late_fee_per_day >= 0", name="amounts_not_negative"),
    )

    @property
    def deposit_money(self) -> Money:
        return Money(self.deposit, self.currency)

    @property
    def fee_money(self) -> Money:
        return Money(self.fee, self.currency)

    @property
    def late_fee_money(self) -> Money:
        return Money(self.late_fee_per_day, self.currency)


class KitGuide(Base):
    __tablename__ = "kit_guides"

    kit_id: Mapped[int] = mapped_column(ForeignKey("kits.id"), primary_key=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id"), primary_key=True, index=True)


class KitDay(Base):
    """Units of a kit booked on one day (Europe/Rome): the capacity guard's row."""

    __tablename__ = "kit_days"

    kit_id: Mapped[int] = mapped_column(ForeignKey("kits.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[int] = mapped_column(Integer)  # the kit's units, copied so the CHECK can see them
    booked: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("booked >= 0 AND booked <= units", name="booked_within_units"),)


class ReservationState(StrEnum):
    RESERVED = "reserved"
    PICKED_UP = "picked_up"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


RESERVATION_TRANSITIONS = Transitions(
    ReservationState,
    {
        ReservationState.RESERVED: {ReservationState.PICKED_UP, ReservationState.CANCELLED, ReservationState.NO_SHOW},
        ReservationState.PICKED_UP: {ReservationState.RETURNED},
    },
)


class KitReservation(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "kit_reservations"
    PUBLIC_ID_PREFIX = "kres"

    kit_id: Mapped[int] = mapped_column(ForeignKey("kits.id"), index=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    pickup_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)  # pick-up day
    end_date: Mapped[date] = mapped_column(Date)  # return due (inclusive)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(12), default=ReservationState.RESERVED)
    deposit: Mapped[int] = mapped_column(BigInteger, default=0)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # Wallet money reserved for deposit + fee until pick-up (NULL when both are 0).
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    charge_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    deposit_refund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    late_fee_id: Mapped[int | None] = mapped_column(ForeignKey("fees.id"))
    picked_up_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(64))

    kit: Mapped[Kit] = relationship()
    patron: Mapped[Patron] = relationship()
    pickup_library: Mapped[Library] = relationship()

    __table_args__ = (
        state_check("state", ReservationState),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("start_date <= end_date", name="dates_ordered"),
        Index("ix_kit_reservations_state_start_date", "state", "start_date"),
    )

    @property
    def deposit_money(self) -> Money:
        return Money(self.deposit, self.currency)

    @property
    def fee_money(self) -> Money:
        return Money(self.fee, self.currency)
