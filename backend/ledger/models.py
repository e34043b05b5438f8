"""Double-entry ledger tables.

Sign convention: a posting's ``amount`` is positive for a debit and negative
for a credit; the postings of an entry sum to zero. An account's *balance* is
shown on its normal side: ``sum(postings)`` for debit-normal accounts (cash in
a drawer, money due from the card processor) and ``-sum(postings)`` for
credit-normal ones (patron wallets, income, funds held for others).

Only wallets keep a cached balance (``balance``/``held``), guarded by CHECK
constraints and updated in the same transaction as their postings. House
accounts keep none, so a sell-out or a fundraising rush only inserts postings
and never queues on one hot row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base, BigId, PublicIdMixin, TimestampMixin
from backend.states import Transitions, state_check

if TYPE_CHECKING:
    from backend.accounts.models import Network

DEBIT_NORMAL = "debit"
CREDIT_NORMAL = "credit"

# kind -> normal side. Each domain posts to these kinds; add new kinds here.
ACCOUNT_KINDS = {
    "wallet": CREDIT_NORMAL,  # what the network owes the patron
    "card_clearing": DEBIT_NORMAL,  # due from the card processor
    "pagopa_clearing": DEBIT_NORMAL,  # paid by pagoPA receipts, on its way to (or at) the network's treasury
    "bank_refunds_payable": CREDIT_NORMAL,  # pagoPA money owed back to patrons by bank transfer
    "cash_drawer": DEBIT_NORMAL,  # cash in one desk's drawer
    "cash_over_short": DEBIT_NORMAL,  # counted cash differences (deficit > 0)
    "fee_income": CREDIT_NORMAL,  # one library's fee income
    "ticket_income": CREDIT_NORMAL,  # one organizer's ticket income
    "campaign_fund": CREDIT_NORMAL,  # one +Teca campaign's donations (or a network's +Teca fund)
    "donation_income": CREDIT_NORMAL,  # donations a library or network received (campaigns settled)
    "partner_payable": CREDIT_NORMAL,  # what one network owes one partner (reimbursements, till payments)
    "partner_reimbursements": DEBIT_NORMAL,  # a network's reimbursements of partner offers (an expense)
    "network_settlement": CREDIT_NORMAL,  # one network's position towards the others (owed > 0, owed to it < 0)
    "network_clearing": DEBIT_NORMAL,  # the central clearing between networks (what no one network carries)
    "adjustments": DEBIT_NORMAL,  # goodwill credits, corrections (an expense)
    "chargebacks": DEBIT_NORMAL,  # card disputes lost (an expense)
    "kit_deposits": CREDIT_NORMAL,  # deposits one library holds for lent cultural kits, owed back on return
    "bank": DEBIT_NORMAL,  # a network's bank account (card payouts, cash deposits, transfers out)
    "card_fees": DEBIT_NORMAL,  # what the card processor kept on a network's payouts (an expense)
    "card_adjustments": DEBIT_NORMAL,  # the card processor's own adjustments on a network's payouts (net expense > 0)
    "reconciliation_differences": DEBIT_NORMAL,  # statement vs our bookings, within the tolerance (net expense > 0)
    "cash_in_transit": DEBIT_NORMAL,  # one library's cash out of the drawers, not yet on the bank's slip
    "commission_income": CREDIT_NORMAL,  # a network's commission on partners' till payments
    "shop_income": CREDIT_NORMAL,  # one library's shop sales (items, services, rooms)
    "printing_credit": CREDIT_NORMAL,  # one patron's prepaid printing in one network, owed as printing
}

# How wallet money came in, so refunds go back the same way and receipts are right.
FUNDING_SOURCES = ("card", "cash", "adjustment", "pagopa")


class LedgerAccount(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "ledger_accounts"
    PUBLIC_ID_PREFIX = "acc"

    kind: Mapped[str] = mapped_column(String(32))
    # Stable identity of the account, e.g. "wallet:pat_…", "fee_income:lib_…".
    key: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    normal_side: Mapped[str] = mapped_column(String(6))
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id"), index=True)
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"))
    # Cached only for wallets (NULL elsewhere): balance on the normal side, and
    # the part of it reserved by pending holds.
    balance: Mapped[int | None] = mapped_column(BigInteger)
    held: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("key", "currency"),
        CheckConstraint(
            "(balance IS NULL AND held IS NULL) OR (balance >= 0 AND held >= 0 AND held <= balance)",
            name="wallet_not_negative",
        ),
    )

    @property
    def available(self) -> int:
        return (self.balance or 0) - (self.held or 0)


class JournalEntry(PublicIdMixin, TimestampMixin, Base):
    """An immutable business event that moves money; corrected only by a reversing entry."""

    __tablename__ = "journal_entries"
    PUBLIC_ID_PREFIX = "txn"

    kind: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(String(300), default="")
    # Public id of what this entry is about (a fee, an order, a top-up…).
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    # A (partial) refund of an earlier payment; several refunds may point at one payment.
    refunds_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    # Who caused it: a staff or patron public id, or "system".
    actor: Mapped[str] = mapped_column(String(64), default="system")

    postings: Mapped[list[Posting]] = relationship(back_populates="entry", order_by="Posting.id")
    reverses: Mapped[JournalEntry | None] = relationship(remote_side="JournalEntry.id", foreign_keys=[reverses_id])


class Posting(Base):
    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime]

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()

    __table_args__ = (
        CheckConstraint("amount <> 0", name="nonzero"),
        Index("ix_postings_account_id_id", "account_id", "id"),
    )


class HoldState(StrEnum):
    PENDING = "pending"  # the money is reserved in the wallet's ``held``
    # Claimed by the one capture or release under way, inside its transaction: the
    # guarded claim is what keeps a capture and a release from both winning.
    SETTLING = "settling"
    CAPTURED = "captured"
    RELEASED = "released"
    EXPIRED = "expired"


HOLD_TRANSITIONS = Transitions(
    HoldState,
    {
        HoldState.PENDING: {HoldState.SETTLING},
        HoldState.SETTLING: {HoldState.CAPTURED, HoldState.RELEASED, HoldState.EXPIRED},
    },
)
# Holds whose money is still counted in the wallet's ``held``.
RESERVING_HOLD_STATES = (HoldState.PENDING, HoldState.SETTLING)


class Hold(PublicIdMixin, TimestampMixin, Base):
    """Wallet money reserved for something not yet settled (pending → captured | released | expired)."""

    __tablename__ = "holds"
    PUBLIC_ID_PREFIX = "hold"

    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=HoldState.PENDING)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    reference: Mapped[str | None] = mapped_column(String(64))
    settled_at: Mapped[datetime | None]
    capture_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))

    account: Mapped[LedgerAccount] = relationship()

    __table_args__ = (CheckConstraint("amount > 0", name="positive"), state_check("status", HoldState))


class FundingLot(PublicIdMixin, TimestampMixin, Base):
    """A sum that came into a wallet from one source; spent oldest first.

    The remaining amounts of a wallet's lots always add up to its balance.
    """

    __tablename__ = "funding_lots"
    PUBLIC_ID_PREFIX = "lot"

    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    source: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    # For card money: the provider's payment id, so it can be refunded there.
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"))

    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_in_range"),
        Index("ix_funding_lots_account_id_remaining", "account_id", "remaining"),
    )


class LotAllocation(Base):
    """How much of a lot an entry spent (positive) or gave back (negative)."""

    __tablename__ = "lot_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("funding_lots.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    lot: Mapped[FundingLot] = relationship()

    __table_args__ = (CheckConstraint("amount <> 0", name="nonzero"),)


class PeriodState(StrEnum):
    CLOSED = "closed"  # nothing may be posted with a date inside it
    REOPENED = "reopened"  # by an admin; a later close is a new row


PERIOD_TRANSITIONS = Transitions(PeriodState, {PeriodState.CLOSED: {PeriodState.REOPENED}})


class ClosedPeriod(PublicIdMixin, TimestampMixin, Base):
    """A network's month (Europe/Rome) closed by finance: ``post_entry`` refuses postings dated inside it.

    At most one closed row per network and month (a partial unique index); reopening
    keeps the row, marked reopened, and a new close writes a new row with a new trial balance.
    """

    __tablename__ = "ledger_closed_periods"
    PUBLIC_ID_PREFIX = "prd"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Europe/Rome
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default=PeriodState.CLOSED)
    closed_by: Mapped[str] = mapped_column(String(64))
    reopened_at: Mapped[datetime | None]
    reopened_by: Mapped[str | None] = mapped_column(String(64))
    reopen_reason: Mapped[str | None] = mapped_column(String(300))

    network: Mapped[Network] = relationship()

    __table_args__ = (
        state_check("state", PeriodState),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index(
            "uq_ledger_closed_periods_network_month_closed",
            "network_id",
            "month",
            unique=True,
            postgresql_where=text("state = 'closed'"),
            sqlite_where=text("state = 'closed'"),
        ),
        Index("ix_ledger_closed_periods_network_id_ends_at", "network_id", "ends_at"),
    )


class ClosedPeriodBalance(Base):
    """One account's closing balance in a closed period's stored trial balance.

    ``amount`` is the signed sum of the account's postings up to the period's end
    (debit > 0). ``account_id`` NULL is the network's counterpart in the accounts
    shared by every network (the card processor's clearing), so the lines sum to zero.
    """

    __tablename__ = "ledger_closed_period_balances"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("ledger_closed_periods.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)

    account: Mapped[LedgerAccount | None] = relationship()
