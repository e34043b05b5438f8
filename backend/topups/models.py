"""Top-ups by card and by pagoPA, the providers' customers and events, refunds.

A top-up is our record of one payment into a wallet. It exists before the
provider's PaymentIntent or pagoPA debt position (which carry our id), and only
a verified provider event, a verified pagoPA receipt or the settle job moves it on::

    pending ──succeeded──▶ succeeded        (wallet credited, exactly once)
       │  └──payment_failed──▶ failed ──(patron retries the sheet)──▶ succeeded
       ├──canceled──▶ canceled
       └──(pagoPA) expired / invalidated ──late receipt──▶ succeeded (flagged)
    amount_mismatch: the provider reports another amount; nothing credited, for finance.

A pagoPA top-up's notice (``PagopaNotice``) holds the debt position: IUV,
notice number, creditor, due date, and the receipt once paid. Money paid by
pagoPA goes back by bank transfer (``BankRefund``), approved by finance. The
PSPs' reporting flows, which say which IUVs reached the treasury, are
reconciliation runs of the finance domain (``finance/reconciliation/pagopa_flows``).

The moves are ``TOPUP_TRANSITIONS`` and ``REFUND_TRANSITIONS``: every status
change is a guarded update built from them (``backend.states.transition``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Network, Patron
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin, utcnow
from backend.states import Transitions, state_check


class TopupState(StrEnum):
    PENDING = "pending"  # waiting for the provider's word
    SUCCEEDED = "succeeded"  # the wallet was credited, exactly once
    FAILED = "failed"  # an attempt was declined; the patron may retry on the same intent
    CANCELED = "canceled"
    AMOUNT_MISMATCH = "amount_mismatch"  # the provider reports another amount: nothing credited
    EXPIRED = "expired"  # pagoPA: the notice's due date passed unpaid; nothing credited
    INVALIDATED = "invalidated"  # pagoPA: the position was withdrawn before it was paid


TOPUP_TRANSITIONS = Transitions(
    TopupState,
    {
        TopupState.PENDING: {
            TopupState.SUCCEEDED,
            TopupState.FAILED,
            TopupState.CANCELED,
            TopupState.AMOUNT_MISMATCH,
            TopupState.EXPIRED,
            TopupState.INVALIDATED,
        },
        # A declined attempt is not final: the patron retries the sheet on the same intent.
        TopupState.FAILED: {TopupState.SUCCEEDED, TopupState.CANCELED, TopupState.AMOUNT_MISMATCH},
        # A PSP may still take a payment on a notice we gave up on (printed, paid at a counter
        # before the invalidation reached it): the money arrived, so a late receipt is credited.
        TopupState.EXPIRED: {TopupState.SUCCEEDED, TopupState.AMOUNT_MISMATCH},
        TopupState.INVALIDATED: {TopupState.SUCCEEDED, TopupState.AMOUNT_MISMATCH},
    },
)
# Given up on, though a late pagoPA receipt still credits them.
LATE_RECEIPT_STATES = (TopupState.EXPIRED, TopupState.INVALIDATED)
# States the settle job and webhooks may still move on.
OPEN_TOPUP_STATES = tuple(s for s in TopupState if not TOPUP_TRANSITIONS.is_final(s) and s not in LATE_RECEIPT_STATES)


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


class PagopaNotice(TimestampMixin, Base):
    """The debt position behind one pagoPA top-up, and its receipt once paid."""

    __tablename__ = "pagopa_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topup_id: Mapped[int] = mapped_column(ForeignKey("topups.id"), unique=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    # The position's id at GPD: ours, from the top-up, so a retried create finds it.
    iupd: Mapped[str] = mapped_column(String(40), unique=True)
    iuv: Mapped[str] = mapped_column(String(17))
    notice_number: Mapped[str] = mapped_column(String(18))
    creditor_fiscal_code: Mapped[str] = mapped_column(String(11))
    due_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    # From the receipt (RT): the platform's id of the payment, when, through which PSP.
    receipt_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    paid_at: Mapped[datetime | None]
    psp_id: Mapped[str | None] = mapped_column(String(35))
    psp_name: Mapped[str | None] = mapped_column(String(140))
    # Paid after we expired or invalidated the position: credited all the same, for finance to see.
    late_receipt: Mapped[bool] = mapped_column(Boolean, default=False)

    topup: Mapped[Topup] = relationship()
    network: Mapped[Network] = relationship()

    __table_args__ = (
        UniqueConstraint("creditor_fiscal_code", "iuv"),
        Index("ix_pagopa_notices_due_at", "due_at"),
    )


class BankRefundState(StrEnum):
    REQUESTED = "requested"  # the wallet is debited; finance has not decided
    APPROVED = "approved"  # finance ordered the bank transfer
    REJECTED = "rejected"  # the debit was reversed: the money is back in the wallet


BANK_REFUND_TRANSITIONS = Transitions(
    BankRefundState,
    {BankRefundState.REQUESTED: {BankRefundState.APPROVED, BankRefundState.REJECTED}},
)


class BankRefund(PublicIdMixin, TimestampMixin, Base):
    """pagoPA-funded balance going back by bank transfer to an IBAN the patron gave.

    The wallet is debited when asked (only from pagoPA lots, so the money can't
    be spent twice or leave as cash); finance approves (the transfer is ordered)
    or rejects (the debit is reversed).
    """

    __tablename__ = "bank_refunds"
    PUBLIC_ID_PREFIX = "brf"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=BankRefundState.REQUESTED)
    # Where the transfer goes: needed to pay, never logged, shown masked.
    iban: Mapped[str] = mapped_column(String(34))
    account_holder: Mapped[str] = mapped_column(String(140))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"))
    decision_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    patron: Mapped[Patron] = relationship()

    __table_args__ = (
        state_check("status", BankRefundState),
        CheckConstraint("amount > 0", name="positive"),
        Index("ix_bank_refunds_network_id_status", "network_id", "status"),
    )
