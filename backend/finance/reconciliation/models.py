"""Reconciliation runs and their items, cash deposits, partner settlements.

A run is generic by source: ``stripe`` (one run per payout), and any later
source (a pagoPA reporting flow) that fills the same statement lines::

    open ──(every exception resolved)──▶ reconciled
      ▲                                       │
      └──────(a re-run finds a new one)───────┘

Items: ``matched`` (final) or an exception ``open ──resolve──▶ resolved``.
Each ledger entry is consumed by at most one matching item (partial unique
index), whatever the number of runs and re-runs.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Library, Network, Partner
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin, utcnow
from backend.desk.models import CashSession
from backend.ledger.models import JournalEntry
from backend.states import Transitions, state_check


class Source(StrEnum):
    STRIPE = "stripe"
    PAGOPA = "pagopa"


class RunState(StrEnum):
    OPEN = "open"
    RECONCILED = "reconciled"


RUN_TRANSITIONS = Transitions(
    RunState,
    {RunState.OPEN: {RunState.RECONCILED}, RunState.RECONCILED: {RunState.OPEN}},
)


class LineKind(StrEnum):
    """What an external statement line is, whatever its source's own vocabulary."""

    PAYMENT = "payment"
    REFUND = "refund"
    DISPUTE = "dispute"
    FEE = "fee"
    ADJUSTMENT = "adjustment"
    OTHER = "other"


class Outcome(StrEnum):
    MATCHED = "matched"
    AMOUNT_DIFFERENCE = "amount_difference"
    # Booked by us, not in any statement up to the run's cut-off.
    MISSING_EXTERNAL = "missing_external"
    # In the statement, nothing of ours behind it.
    UNEXPECTED = "unexpected"


class ItemState(StrEnum):
    MATCHED = "matched"
    OPEN = "open"
    RESOLVED = "resolved"


ITEM_TRANSITIONS = Transitions(ItemState, {ItemState.OPEN: {ItemState.RESOLVED}})


class ReconciliationRun(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "recon_runs"
    PUBLIC_ID_PREFIX = "rcn"

    source: Mapped[str] = mapped_column(String(16))
    # The statement's own id: a Stripe payout id, a pagoPA flow id.
    external_ref: Mapped[str] = mapped_column(String(120))
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    # The ledger account the statement is about (Stripe's card clearing): our side is its entries.
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=RunState.OPEN)
    # What reached the bank, and when.
    statement_amount: Mapped[int] = mapped_column(BigInteger)
    statement_date: Mapped[date] = mapped_column(Date)
    gross_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Our bookings up to here should all be in this statement or an earlier one.
    cutoff_at: Mapped[datetime]
    matched_count: Mapped[int] = mapped_column(default=0)
    exception_count: Mapped[int] = mapped_column(default=0)
    open_exception_count: Mapped[int] = mapped_column(default=0)
    run_count: Mapped[int] = mapped_column(default=0)
    last_run_at: Mapped[datetime | None]
    # The entry booking what the source kept (fees) and what reached the bank.
    booked_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))

    network: Mapped[Network] = relationship()

    __table_args__ = (
        UniqueConstraint("source", "external_ref"),
        state_check("status", RunState, name="status_valid"),
        Index("ix_recon_runs_network_id_id", "network_id", "id"),
    )


class StatementLine(Base):
    """One line of an external statement (a Stripe balance transaction), stored as received."""

    __tablename__ = "recon_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("recon_runs.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))
    # Gross, signed (> 0 into the account), and what the source kept on it.
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # What our side is found by (a payment intent id, an IUV).
    match_key: Mapped[str | None] = mapped_column(String(120))
    occurred_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (UniqueConstraint("source", "external_id"), state_check("kind", LineKind, name="kind_valid"))


class ReconciliationItem(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "recon_items"
    PUBLIC_ID_PREFIX = "rci"

    run_id: Mapped[int] = mapped_column(ForeignKey("recon_runs.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(12))
    match_key: Mapped[str | None] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    external_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    our_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The network whose patron or campaign the money belongs to, when known.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"))
    note: Mapped[str] = mapped_column(String(1000), default="")
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    # A match within the tolerance whose amounts differ: the difference booked once, at matching.
    difference_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"), unique=True)

    refs: Mapped[list[ItemRef]] = relationship(order_by="ItemRef.id", back_populates="item")
    difference_entry: Mapped[JournalEntry | None] = relationship()
    # Listed with every item (its code); a few networks, so loaded once per session.
    network: Mapped[Network | None] = relationship(lazy="selectin")

    __table_args__ = (
        state_check("outcome", Outcome, name="outcome_valid"),
        state_check("status", ItemState, name="status_valid"),
        CheckConstraint("(status = 'matched') = (outcome = 'matched')", name="matched_iff_outcome"),
        Index("ix_recon_items_run_id_id", "run_id", "id"),
    )

    @property
    def difference(self) -> int:
        return self.external_amount - self.our_amount


class ItemRef(Base):
    """One thing an item is made of: an external line's id, or one of our ledger entries."""

    __tablename__ = "recon_item_refs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("recon_items.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))  # ours | external
    ref: Mapped[str] = mapped_column(String(120))
    # Our business object behind an entry (top-up, donation, refund), for people.
    label: Mapped[str] = mapped_column(String(64), default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    # Matched (or matched with a difference): this ref may be consumed once only.
    consumed: Mapped[bool] = mapped_column(Boolean, default=False)

    item: Mapped[ReconciliationItem] = relationship(back_populates="refs")

    __table_args__ = (
        CheckConstraint("side IN ('ours', 'external')", name="side_valid"),
        Index(
            "uq_recon_item_refs_consumed_once",
            "source",
            "side",
            "ref",
            unique=True,
            postgresql_where=text("consumed"),
            sqlite_where=text("consumed"),
        ),
        Index("ix_recon_item_refs_source_side_ref", "source", "side", "ref"),
    )


# --- cash ------------------------------------------------------------------------


class CashDeposit(PublicIdMixin, TimestampMixin, Base):
    """Cash of closed desk sessions taken to the bank, as on the bank's deposit slip."""

    __tablename__ = "cash_deposits"
    PUBLIC_ID_PREFIX = "dep"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    deposited_on: Mapped[date] = mapped_column(Date)
    slip_number: Mapped[str] = mapped_column(String(60))
    # What the sessions it carries handed over, minus the amount on the slip.
    carried_amount: Mapped[int] = mapped_column(BigInteger)
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"))

    library: Mapped[Library] = relationship()

    __table_args__ = (
        UniqueConstraint("library_id", "slip_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    @property
    def difference(self) -> int:
        return self.amount - self.carried_amount


class CashHandover(TimestampMixin, Base):
    """The cash a closed desk session handed to the bank run (drawer → in transit), once."""

    __tablename__ = "cash_handovers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cash_session_id: Mapped[int] = mapped_column(ForeignKey("cash_sessions.id"), unique=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"))
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("cash_deposits.id"), index=True)

    cash_session: Mapped[CashSession] = relationship()

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


# --- partner settlements ---------------------------------------------------------


class SettlementState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"


SETTLEMENT_TRANSITIONS = Transitions(
    SettlementState,
    {SettlementState.DRAFT: {SettlementState.APPROVED}, SettlementState.APPROVED: {SettlementState.PAID}},
)


class PartnerSettlement(PublicIdMixin, TimestampMixin, Base):
    """What one network owes one partner for one month, approved and then paid by transfer."""

    __tablename__ = "partner_settlements"
    PUBLIC_ID_PREFIX = "pst"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Europe/Rome
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default=SettlementState.DRAFT)
    reimbursements: Mapped[int] = mapped_column(BigInteger, default=0)
    till_payments: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, default=0)
    commission: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    # A month whose refunds exceed what it owes transfers nothing and hands the rest on
    # (``carried_forward``); the partner's next settlement takes it (``carried_in``, from
    # ``carried_from_id``, once: unique) and nets it.
    carried_in: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    carried_forward: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("partner_settlements.id"), unique=True)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    paid_by: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None]
    transfer_reference: Mapped[str | None] = mapped_column(String(140))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship()
    carried_from: Mapped[PartnerSettlement | None] = relationship(remote_side="PartnerSettlement.id")

    __table_args__ = (
        UniqueConstraint("network_id", "partner_id", "month"),
        state_check("status", SettlementState, name="status_valid"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("carried_in >= 0 AND carried_forward >= 0", name="carry_not_negative"),
        CheckConstraint("total = 0 OR carried_forward = 0", name="transfer_or_carry"),
    )
