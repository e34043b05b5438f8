"""Card top-ups, the provider's customers and events, refunds to card.

A top-up is our record of one card payment into a wallet. It exists before
the provider's PaymentIntent (whose metadata and idempotency key carry our
id), and only a verified provider event or the settle job moves it on::

    pending ──succeeded──▶ succeeded        (wallet credited, exactly once)
       │  └──payment_failed──▶ failed ──(patron retries the sheet)──▶ succeeded
       └──canceled──▶ canceled
    amount_mismatch: the provider reports another amount; nothing credited, for finance.

The moves are ``TOPUP_TRANSITIONS`` and ``REFUND_TRANSITIONS``: every status
change is a guarded update built from them (``backend.states.transition``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Patron
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin, utcnow
from backend.states import Transitions, state_check


class TopupState(StrEnum):
    PENDING = "pending"  # waiting for the provider's word
    SUCCEEDED = "succeeded"  # the wallet was credited, exactly once
    FAILED = "failed"  # an attempt was declined; the patron may retry on the same intent
    CANCELED = "canceled"
    AMOUNT_MISMATCH = "amount_mismatch"  # the provider reports another amount: nothing credited


TOPUP_TRANSITIONS = Transitions(
    TopupState,
    {
        TopupState.PENDING: {
            TopupState.SUCCEEDED,
            TopupState.FAILED,
            TopupState.CANCELED,
            TopupState.AMOUNT_MISMATCH,
        },
        # A declined attempt is not final: the patron retries the sheet on the same intent.
        TopupState.FAILED: {TopupState.SUCCEEDED, TopupState.CANCELED, TopupState.AMOUNT_MISMATCH},
    },
)
# States the settle job and webhooks may still move on.
OPEN_TOPUP_STATES = tuple(s for s in TopupState if not TOPUP_TRANSITIONS.is_final(s))


class Topup(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "topups"
    PUBLIC_ID_PREFIX = "top"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=TopupState.PENDING)
    provider: Mapped[str] = mapped_column(String(20))
    intent_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(80))
    # The ledger entry that credited the wallet, once succeeded.
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    # Card money given back through the provider so far (our refunds + the provider's own).
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    disputed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]

    patron: Mapped[Patron] = relationship()

    __table_args__ = (
        Index("ix_topups_patron_id_id", "patron_id", "id"),
        Index("ix_topups_status_created_at", "status", "created_at"),
        state_check("status", TopupState),
    )


class PaymentCustomer(Base):
    """The provider's customer object for one patron (saved cards live there)."""

    __tablename__ = "payment_customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    provider: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("patron_id", "provider"),)


class ProviderEvent(Base):
    """Every webhook event processed, so a redelivery changes nothing."""

    __tablename__ = "provider_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(80))
    # What we did with it: credited, marked_failed, ignored, …
    outcome: Mapped[str] = mapped_column(String(40), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("provider", "event_id"),)


class CardDispute(Base):
    """A dispute the provider opened on one card top-up, and the entry that took the money back.

    Found again by the provider's own dispute id when the dispute closes (won: that
    entry is reversed), never by the entry's memo text.
    """

    __tablename__ = "card_disputes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    dispute_id: Mapped[str] = mapped_column(String(120))
    topup_id: Mapped[int] = mapped_column(ForeignKey("topups.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("provider", "dispute_id"),)


class RefundState(StrEnum):
    PENDING = "pending"  # the wallet is debited; the provider has not answered yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused by the provider: the debit was reversed


REFUND_TRANSITIONS = Transitions(
    RefundState,
    {RefundState.PENDING: {RefundState.SUCCEEDED, RefundState.FAILED}},
)


class CardRefund(PublicIdMixin, TimestampMixin, Base):
    """Unused card-funded balance going back to one original card payment.

    The wallet is debited when the refund is requested (so the money can't be
    spent twice); the provider is asked afterwards, outside the request's
    transaction, with this record's id as idempotency key. A refusal gives the
    money back to the wallet by reversing the debit.
    """

    __tablename__ = "card_refunds"
    PUBLIC_ID_PREFIX = "rfd"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    topup_id: Mapped[int] = mapped_column(ForeignKey("topups.id"), index=True)
    # Several refunds asked together share a request id (one API object).
    request_id: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=RefundState.PENDING)
    provider_refund_id: Mapped[str | None] = mapped_column(String(120))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    topup: Mapped[Topup] = relationship()

    __table_args__ = (state_check("status", RefundState),)
