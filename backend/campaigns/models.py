"""+Teca: fundraising campaigns, donations, recurring donations, supporter cards, donation receipts.

A campaign belongs to a library or to a whole network (``library_id`` NULL)::

    draft ──launch──▶ live ──deadline──▶ funded | not_funded ──final report──▶ closed

Goal and deadline may change only in ``draft``: launching fixes them. The
deadline is a Europe/Rome moment stored in UTC.

A donation moves money wallet → campaign fund (``succeeded`` at once), or is a
hold on the wallet (``pledged``) for an all-or-nothing campaign until the
deadline, or waits for the card provider (``pending``)::

    pending ──webhook──▶ succeeded ──goal missed (all-or-nothing, card)──▶ refund_pending ──▶ refunded
       └──▶ failed ──(patron retries the sheet)──▶ succeeded
    pledged ──goal reached──▶ succeeded        pledged ──goal missed──▶ released

Progress is computed from the donation rows (indexed by campaign and state):
no counter on the campaign row and no cached balance on its fund, so a rush of
donors only inserts rows and never queues on one hot row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Library, Network, Patron
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin, new_public_id, utcnow
from backend.states import Transitions, state_check


class CampaignState(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    FUNDED = "funded"
    NOT_FUNDED = "not_funded"
    CLOSED = "closed"


CAMPAIGN_TRANSITIONS = Transitions(
    CampaignState,
    {
        CampaignState.DRAFT: {CampaignState.LIVE},
        CampaignState.LIVE: {CampaignState.FUNDED, CampaignState.NOT_FUNDED},
        CampaignState.FUNDED: {CampaignState.CLOSED},
        CampaignState.NOT_FUNDED: {CampaignState.CLOSED},
    },
)
SETTLED_CAMPAIGN_STATES = (CampaignState.FUNDED, CampaignState.NOT_FUNDED, CampaignState.CLOSED)


class FundingModel(StrEnum):
    KEEP_IT_ALL = "keep_it_all"
    ALL_OR_NOTHING = "all_or_nothing"


class Campaign(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "campaigns"
    PUBLIC_ID_PREFIX = "cmp"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    # NULL: a campaign of the whole network.
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    story: Mapped[str] = mapped_column(Text, default="")
    images: Mapped[list] = mapped_column(JSON, default=list)
    good_causes: Mapped[list] = mapped_column(JSON, default=list)
    goal: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    deadline: Mapped[datetime]
    model: Mapped[str] = mapped_column(String(16), default=FundingModel.KEEP_IT_ALL)
    art_bonus: Mapped[bool] = mapped_column(Boolean, default=False)
    # What an Art Bonus receipt must state: the public body receiving and the purpose.
    art_bonus_beneficiary: Mapped[str] = mapped_column(String(300), default="")
    art_bonus_purpose: Mapped[str] = mapped_column(String(500), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(12), default=CampaignState.DRAFT)
    launched_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    final_report: Mapped[str] = mapped_column(Text, default="")

    network: Mapped[Network] = relationship()
    library: Mapped[Library | None] = relationship()

    __table_args__ = (
        CheckConstraint("goal > 0", name="goal_positive"),
        state_check("state", CampaignState, name="state_valid"),
        state_check("model", FundingModel, name="model_valid"),
        Index("ix_campaigns_state_deadline", "state", "deadline"),
    )

    @property
    def owner_name(self) -> str:
        return self.library.name if self.library is not None else self.network.name


class CampaignFollower(Base):
    __tablename__ = "campaign_followers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("campaign_id", "patron_id"),)


class CampaignUpdate(PublicIdMixin, TimestampMixin, Base):
    """A post by the owner: news, images, results achieved; the final report closes the campaign."""

    __tablename__ = "campaign_updates"
    PUBLIC_ID_PREFIX = "cup"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(500))
    results: Mapped[str] = mapped_column(Text, default="")
    is_final_report: Mapped[bool] = mapped_column(Boolean, default=False)
    author_name: Mapped[str] = mapped_column(String(200))


class DonationState(StrEnum):
    PENDING = "pending"
    PLEDGED = "pledged"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RELEASED = "released"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"


DONATION_TRANSITIONS = Transitions(
    DonationState,
    {
        DonationState.PENDING: {DonationState.SUCCEEDED, DonationState.FAILED},
        DonationState.FAILED: {DonationState.SUCCEEDED},
        DonationState.PLEDGED: {DonationState.SUCCEEDED, DonationState.RELEASED},
        DonationState.SUCCEEDED: {DonationState.REFUND_PENDING},
        DonationState.REFUND_PENDING: {DonationState.REFUNDED},
    },
)
# What counts in a campaign's progress (gross): everything a donor gave or pledged.
COUNTED_STATES = (
    DonationState.PLEDGED,
    DonationState.SUCCEEDED,
    DonationState.REFUND_PENDING,
    DonationState.REFUNDED,
    DonationState.RELEASED,
)
# ... while the campaign is live only these exist among the counted.
LIVE_COUNTED_STATES = (DonationState.PLEDGED, DonationState.SUCCEEDED)


class Visibility(StrEnum):
    NAME_AND_AMOUNT = "name_and_amount"
    NAME_ONLY = "name_only"
    ANONYMOUS = "anonymous"


class MessageStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


MESSAGE_TRANSITIONS = Transitions(
    MessageStatus,
    {
        MessageStatus.PENDING: {MessageStatus.APPROVED, MessageStatus.REJECTED},
        MessageStatus.APPROVED: {MessageStatus.REJECTED},
        MessageStatus.REJECTED: {MessageStatus.APPROVED},
    },
)


class Purpose(StrEnum):
    CAMPAIGN = "campaign"
    SUPPORTER_CARD = "supporter_card"


class Method(StrEnum):
    WALLET = "wallet"
    CARD = "card"


# The prefix of a donation's id on the public donor wall.
WALL_ID_PREFIX = "wall"


def new_wall_id() -> str:
    return new_public_id(WALL_ID_PREFIX)


class Donation(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "donations"
    PUBLIC_ID_PREFIX = "don"

    # NULL for a supporter card: a donation to the network's +Teca fund.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    # The id the public donor wall shows (``wall_…``, also its cursor), never ``public_id``: finance,
    # receipts, reconciliation and the card provider know the donation by ``don_…``, and a list naming
    # a patron beside it would unmask an anonymous donor. Set on insert (ORM or Core).
    wall_public_id: Mapped[str] = mapped_column(String(40), unique=True, default=new_wall_id)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    purpose: Mapped[str] = mapped_column(String(16), default=Purpose.CAMPAIGN)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    method: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.NAME_AND_AMOUNT)
    message: Mapped[str | None] = mapped_column(String(500))
    message_status: Mapped[str] = mapped_column(String(10), default=MessageStatus.NONE)
    # Codice fiscale: kept only when the donor asked for an Art Bonus receipt.
    art_bonus_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_code: Mapped[str | None] = mapped_column(String(16))
    # Art Bonus eligible part (traceable money), known once the money arrived.
    eligible_amount: Mapped[int | None] = mapped_column(BigInteger)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    provider: Mapped[str | None] = mapped_column(String(20))
    intent_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(80))
    recurring_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_donations.id"))
    period: Mapped[str | None] = mapped_column(String(10))
    succeeded_at: Mapped[datetime | None]
    # Card money taken back after it reached the fund: refunds made at the provider (cumulative) and
    # the refund of a missed all-or-nothing goal (booked at the deadline, while the provider is still
    # asked), and disputes still open or lost. What the donor gave is amount minus both.
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    disputed_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # When the money left the campaign fund at the deadline (to income, or back to the card).
    settled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign | None] = relationship()
    network: Mapped[Network] = relationship()
    patron: Mapped[Patron] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("tax_code IS NULL OR art_bonus_requested", name="tax_code_only_for_art_bonus"),
        CheckConstraint(
            "refunded_amount >= 0 AND disputed_amount >= 0 AND refunded_amount + disputed_amount <= amount",
            name="taken_back_within_amount",
        ),
        state_check("state", DonationState, name="state_valid"),
        state_check("visibility", Visibility, name="visibility_valid"),
        state_check("message_status", MessageStatus, name="message_status_valid"),
        UniqueConstraint("recurring_id", "period"),
        Index("ix_donations_campaign_id_state", "campaign_id", "state"),
        Index("ix_donations_patron_id_id", "patron_id", "id"),
        Index("ix_donations_network_id_succeeded_at", "network_id", "succeeded_at"),
    )

    @property
    def money(self):
        from backend.money import Money

        return Money(self.amount, self.currency)

    @property
    def kept_amount(self) -> int:
        """What the campaign keeps of this donation: less card refunds (made at the provider, or of a missed
        goal) and disputes."""
        return self.amount - (self.refunded_amount or 0) - (self.disputed_amount or 0)

    @property
    def kept_eligible(self) -> int:
        """The Art Bonus eligible part still given (card money taken back is eligible money)."""
        return min(self.eligible_amount or 0, self.kept_amount)


class RecurringState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


RECURRING_TRANSITIONS = Transitions(
    RecurringState,
    {
        RecurringState.ACTIVE: {RecurringState.PAUSED, RecurringState.STOPPED},
        RecurringState.PAUSED: {RecurringState.ACTIVE, RecurringState.STOPPED},
    },
)


class Interval(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


class RecurringDonation(PublicIdMixin, TimestampMixin, Base):
    """A monthly or yearly donation from the wallet, run by the scheduler once per period."""

    __tablename__ = "recurring_donations"
    PUBLIC_ID_PREFIX = "rdn"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    interval: Mapped[str] = mapped_column(String(8))
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.NAME_AND_AMOUNT)
    # Each run's donation asks for an Art Bonus receipt with this codice fiscale: kept only for that,
    # never shown, and erased when the recurring donation stops for good.
    art_bonus_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    tax_code: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(8), default=RecurringState.ACTIVE)
    # The next charge is due at this moment; its period key is ``next_period``.
    next_run_at: Mapped[datetime] = mapped_column(index=True)
    next_period: Mapped[str] = mapped_column(String(10))
    # Failed attempts in the current period (one retry, then paused).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    patron: Mapped[Patron] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("tax_code IS NULL OR art_bonus_requested", name="tax_code_only_for_art_bonus"),
        state_check("state", RecurringState, name="state_valid"),
        state_check("interval", Interval, name="interval_valid"),
    )


class SupporterCardPlan(TimestampMixin, Base):
    """A network's annual supporter card: its price (set by the network) and whether it is sold."""

    __tablename__ = "supporter_card_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), unique=True)
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    network: Mapped[Network] = relationship()

    __table_args__ = (CheckConstraint("price > 0", name="price_positive"),)


class SupporterCard(PublicIdMixin, TimestampMixin, Base):
    """Twelve months of support for one network; a renewal starts when the previous card ends."""

    __tablename__ = "supporter_cards"
    PUBLIC_ID_PREFIX = "sup"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), unique=True)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]

    network: Mapped[Network] = relationship()
    donation: Mapped[Donation] = relationship()

    __table_args__ = (
        CheckConstraint("valid_until > valid_from", name="valid_range"),
        Index("ix_supporter_cards_patron_network_until", "patron_id", "network_id", "valid_until"),
    )


class DonationReceipt(PublicIdMixin, TimestampMixin, Base):
    """The numbered receipt of one donation (series per owner, gap-free within a year).

    Names are copied as they were (people and libraries get renamed); the
    codice fiscale is not copied: it is read from the donation, its only home.
    """

    __tablename__ = "donation_receipts"
    PUBLIC_ID_PREFIX = "drc"

    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), unique=True)
    series: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    donor_name: Mapped[str] = mapped_column(String(250))
    beneficiary: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(String(500))
    amount: Mapped[int] = mapped_column(BigInteger)
    eligible_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(8))
    donated_at: Mapped[datetime]

    donation: Mapped[Donation] = relationship()

    __table_args__ = (UniqueConstraint("series", "year", "sequence"),)
