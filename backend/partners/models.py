"""Agreements between networks and partners, offers, passes, redemptions and till payments.

Partners and their venues are tenancy rows (``backend.accounts.models.Partner`` /
``PartnerVenue``) because staff scope names them; everything they agree to lives here.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Network, Partner, PartnerVenue, Patron
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin
from backend.states import Transitions, state_check


class AgreementState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


AGREEMENT_TRANSITIONS = Transitions(AgreementState, {AgreementState.ACTIVE: {AgreementState.REVOKED}})


class OfferState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


OFFER_TRANSITIONS = Transitions(OfferState, {OfferState.ACTIVE: {OfferState.REVOKED}})


class PassState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"  # by the patron (lost phone), a newer device, or staff


PASS_TRANSITIONS = Transitions(PassState, {PassState.ACTIVE: {PassState.REVOKED}})


class RedemptionState(StrEnum):
    ACCEPTED = "accepted"  # within every rule; reimbursed at once when the network bears it
    FLAGGED = "flagged"  # offline use found over a limit (or not eligible) at upload: awaits finance
    APPROVED = "approved"  # a flagged use finance accepted (reimbursed then)
    REJECTED = "rejected"  # a flagged use finance refused (never reimbursed)


REDEMPTION_TRANSITIONS = Transitions(
    RedemptionState,
    {
        RedemptionState.FLAGGED: {RedemptionState.APPROVED, RedemptionState.REJECTED},
    },
)
# Uses that count against the limits: everything but a refused flag.
COUNTED_STATES = (RedemptionState.ACCEPTED, RedemptionState.FLAGGED, RedemptionState.APPROVED)


class TillPaymentState(StrEnum):
    PENDING = "pending"  # waiting for the patron's confirmation
    PAID = "paid"
    DECLINED = "declined"
    EXPIRED = "expired"
    REFUNDED = "refunded"


TILL_PAYMENT_TRANSITIONS = Transitions(
    TillPaymentState,
    {
        TillPaymentState.PENDING: {TillPaymentState.PAID, TillPaymentState.DECLINED, TillPaymentState.EXPIRED},
        TillPaymentState.PAID: {TillPaymentState.REFUNDED},
    },
)

VENUE_KINDS = ("cinema", "theatre", "museum", "bookshop", "other")
BENEFIT_KINDS = ("percent_off", "amount_off", "fixed_price", "free_entry", "two_for_one")
BEARERS = ("partner", "network")
REIMBURSEMENT_RULES = ("percent", "fixed")
AGE_BANDS = ("under_14", "14_17", "18_25", "26_64", "65_plus")


agreement_networks = Table(
    "partner_agreement_networks",
    Base.metadata,
    Column("agreement_id", BigId, ForeignKey("partner_agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("network_id", BigId, ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True),
)

offer_venues = Table(
    "partner_offer_venues",
    Base.metadata,
    Column("offer_id", BigId, ForeignKey("partner_offers.id", ondelete="CASCADE"), primary_key=True),
    Column("venue_id", BigId, ForeignKey("partner_venues.id", ondelete="CASCADE"), primary_key=True),
)


class Agreement(PublicIdMixin, TimestampMixin, Base):
    """A network's agreement with a partner: whose patrons, when, and at most how much it reimburses."""

    __tablename__ = "partner_agreements"
    PUBLIC_ID_PREFIX = "agr"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    # The network that signs, manages and pays the reimbursements.
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # Most the network reimburses over the agreement's period (NULL: no cap), and what it
    # has reimbursed so far: raised only by a guarded UPDATE that keeps it under the cap.
    budget_cap: Mapped[int | None] = mapped_column(BigInteger)
    reimbursed: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default=AgreementState.ACTIVE)
    revoked_at: Mapped[datetime | None]

    partner: Mapped[Partner] = relationship()
    network: Mapped[Network] = relationship()
    eligible_networks: Mapped[list[Network]] = relationship(secondary=agreement_networks, order_by=Network.id)
    offers: Mapped[list[Offer]] = relationship(back_populates="agreement", order_by="Offer.id")

    __table_args__ = (
        state_check("state", AgreementState),
        CheckConstraint("budget_cap IS NULL OR reimbursed <= budget_cap", name="within_budget"),
        CheckConstraint("reimbursed >= 0", name="reimbursed_not_negative"),
        CheckConstraint("valid_from <= valid_to", name="period_order"),
    )


class Offer(PublicIdMixin, TimestampMixin, Base):
    """A benefit under an agreement, at some venues, for some patrons, within limits."""

    __tablename__ = "partner_offers"
    PUBLIC_ID_PREFIX = "ofr"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("partner_agreements.id"), index=True)
    title_it: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    conditions_it: Mapped[str] = mapped_column(Text, default="")
    conditions_en: Mapped[str] = mapped_column(Text, default="")
    # cinema | theatre | museum | bookshop | other (as venue kinds)
    category: Mapped[str] = mapped_column(String(16))
    benefit_kind: Mapped[str] = mapped_column(String(16))
    # percent_off: percent; amount_off: cents off each ticket; fixed_price: cents each; else 0
    benefit_value: Mapped[int] = mapped_column(BigInteger, default=0)
    max_quantity: Mapped[int] = mapped_column(default=1)
    # ISO weekdays (1 = Monday … 7 = Sunday); empty: every day. Hours in Europe/Rome, "HH:MM".
    weekdays: Mapped[list] = mapped_column(JSON, default=list)
    time_from: Mapped[str | None] = mapped_column(String(5))
    time_to: Mapped[str | None] = mapped_column(String(5))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    # Who may use it, narrowing the agreement's networks: public ids; empty lists mean anyone.
    network_ids: Mapped[list] = mapped_column(JSON, default=list)
    library_ids: Mapped[list] = mapped_column(JSON, default=list)
    age_bands: Mapped[list] = mapped_column(JSON, default=list)
    requires_supporter_card: Mapped[bool] = mapped_column(default=False)
    # Uses (redemptions) allowed: per patron in a Europe/Rome day, ISO week, month, ever;
    # and in total for the offer (``used`` counts them, raised by a guarded UPDATE).
    per_patron_day: Mapped[int | None]
    per_patron_week: Mapped[int | None]
    per_patron_month: Mapped[int | None]
    per_patron_total: Mapped[int | None]
    total_limit: Mapped[int | None]
    used: Mapped[int] = mapped_column(default=0)
    # partner (bears the discount, no money moves) | network (reimburses by the rule)
    bearer: Mapped[str] = mapped_column(String(8), default="partner")
    # percent (of the list price) | fixed (cents per redemption); NULL when the partner bears it
    reimbursement_rule: Mapped[str | None] = mapped_column(String(8))
    reimbursement_value: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default=OfferState.ACTIVE)
    revoked_at: Mapped[datetime | None]

    agreement: Mapped[Agreement] = relationship(back_populates="offers")
    venues: Mapped[list[PartnerVenue]] = relationship(secondary=offer_venues, order_by=PartnerVenue.id)

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_it

    def conditions(self, language: str) -> str:
        return self.conditions_en if language == "en" else self.conditions_it

    __table_args__ = (
        state_check("state", OfferState),
        CheckConstraint("total_limit IS NULL OR used <= total_limit", name="within_total_limit"),
        CheckConstraint("max_quantity >= 1", name="max_quantity_positive"),
        CheckConstraint("benefit_value >= 0 AND reimbursement_value >= 0", name="values_not_negative"),
    )


class Pass(PublicIdMixin, TimestampMixin, Base):
    """The signed pass a patron's phone holds: it certifies one device key."""

    __tablename__ = "partner_passes"
    PUBLIC_ID_PREFIX = "pas"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    # Raw Ed25519 public key of the phone, base64url without padding.
    device_key: Mapped[str] = mapped_column(String(64))
    # For the code typed at an online till when the camera can't read the screen:
    # ``<short_code>-<6-digit TOTP of otp_secret, 60 s steps>``.
    short_code: Mapped[str] = mapped_column(String(12), unique=True)
    otp_secret: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(16), default=PassState.ACTIVE)
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)

    patron: Mapped[Patron] = relationship()

    __table_args__ = (state_check("state", PassState),)


class Redemption(PublicIdMixin, TimestampMixin, Base):
    """One use of an offer at a till (online, or uploaded from an offline till)."""

    __tablename__ = "partner_redemptions"
    PUBLIC_ID_PREFIX = "red"

    offer_id: Mapped[int] = mapped_column(ForeignKey("partner_offers.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("partner_agreements.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("partner_venues.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    pass_id: Mapped[int] = mapped_column(ForeignKey("partner_passes.id"))
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    # The till's own id of the scan (offline uploads; optional online): dedupes re-uploads.
    scan_id: Mapped[str | None] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(8), default="online")  # online | offline
    scanned_at: Mapped[datetime]
    quantity: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    list_price: Mapped[int] = mapped_column(BigInteger)  # each
    discount: Mapped[int] = mapped_column(BigInteger)  # in total
    price_to_pay: Mapped[int] = mapped_column(BigInteger)  # in total
    reimbursement: Mapped[int] = mapped_column(BigInteger, default=0)  # due from the network
    reimbursement_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    state: Mapped[str] = mapped_column(String(16), default=RedemptionState.ACCEPTED)
    flag_reason: Mapped[str | None] = mapped_column(String(40))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]

    offer: Mapped[Offer] = relationship()
    venue: Mapped[PartnerVenue] = relationship()
    patron: Mapped[Patron] = relationship()

    __table_args__ = (
        state_check("state", RedemptionState),
        UniqueConstraint("partner_id", "scan_id"),
        CheckConstraint(
            "quantity >= 1 AND list_price >= 0 AND discount >= 0 AND price_to_pay >= 0 AND reimbursement >= 0",
            name="amounts_valid",
        ),
        Index("ix_partner_redemptions_patron_offer", "patron_id", "offer_id", "scanned_at"),
        Index("ix_partner_redemptions_partner_time", "partner_id", "scanned_at"),
    )


class TillPayment(PublicIdMixin, TimestampMixin, Base):
    """An amount the till asked the patron to pay from the wallet, once confirmed in the app."""

    __tablename__ = "partner_till_payments"
    PUBLIC_ID_PREFIX = "tpy"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("partner_venues.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    confirmation_id: Mapped[int] = mapped_column(ForeignKey("confirmations.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    description: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default=TillPaymentState.PENDING)
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    refunded_at: Mapped[datetime | None]
    refund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))

    venue: Mapped[PartnerVenue] = relationship()
    patron: Mapped[Patron] = relationship()

    __table_args__ = (
        state_check("state", TillPaymentState),
        CheckConstraint("amount > 0", name="positive"),
    )
