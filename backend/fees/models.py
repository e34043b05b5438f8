"""Fee types per network, the fees charged to patrons, and the payments that settled them.

A fee is a debt of a patron to one library: ``outstanding`` until it is paid
from the wallet or waived by a librarian. Paying never touches the fee's
amount: the money moves in the ledger (one entry per payment, crediting each
library's ``fee_income``); the fee records which payment settled it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Library, Network, Patron
from backend.db import Base, PublicIdMixin, TimestampMixin
from backend.ledger.models import JournalEntry
from backend.money import Money
from backend.states import Transitions, state_check


class FeeState(StrEnum):
    OUTSTANDING = "outstanding"
    PAID = "paid"
    WAIVED = "waived"  # cancelled by a librarian; a paid fee's money went back to the wallet


FEE_TRANSITIONS = Transitions(
    FeeState,
    {
        FeeState.OUTSTANDING: {FeeState.PAID, FeeState.WAIVED},
        FeeState.PAID: {FeeState.WAIVED},
    },
)


class FeeType(PublicIdMixin, TimestampMixin, Base):
    """What a network charges for (like Koha's debit types), with its default amount."""

    __tablename__ = "fee_types"
    PUBLIC_ID_PREFIX = "fty"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    code: Mapped[str] = mapped_column(String(32))
    name_it: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    default_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    active: Mapped[bool] = mapped_column(default=True)

    network: Mapped[Network] = relationship()

    __table_args__ = (
        UniqueConstraint("network_id", "code"),
        CheckConstraint("default_amount >= 0", name="default_not_negative"),
    )

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_it

    @property
    def default_money(self) -> Money:
        return Money(self.default_amount, self.currency)


class FeePayment(PublicIdMixin, TimestampMixin, Base):
    """One payment from a wallet settling one or several fees (one ledger entry)."""

    __tablename__ = "fee_payments"
    PUBLIC_ID_PREFIX = "fpay"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    entry: Mapped[JournalEntry] = relationship()
    fees: Mapped[list[Fee]] = relationship(back_populates="payment", order_by="Fee.id")

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class Fee(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "fees"
    PUBLIC_ID_PREFIX = "fee"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"))
    fee_type_id: Mapped[int] = mapped_column(ForeignKey("fee_types.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12), default=FeeState.OUTSTANDING)
    # The library management system's own id of this fee (batch import key).
    external_id: Mapped[str | None] = mapped_column(String(80))
    # Staff public id, or "import" for the batch import.
    charged_by: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("fee_payments.id"), index=True)
    paid_at: Mapped[datetime | None]
    waived_at: Mapped[datetime | None]
    waived_by: Mapped[str | None] = mapped_column(String(64))
    waive_reason: Mapped[str | None] = mapped_column(String(300))
    # The entry that gave the money back when a paid fee was waived.
    refund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))

    library: Mapped[Library] = relationship()
    patron: Mapped[Patron] = relationship()
    fee_type: Mapped[FeeType] = relationship()
    payment: Mapped[FeePayment | None] = relationship(back_populates="fees")
    refund_entry: Mapped[JournalEntry | None] = relationship(foreign_keys=[refund_entry_id])

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    __table_args__ = (
        UniqueConstraint("network_id", "external_id"),
        CheckConstraint("amount > 0", name="positive"),
        state_check("status", FeeState, name="known_status"),
        Index("ix_fees_patron_id_status", "patron_id", "status"),
        Index("ix_fees_library_id_id", "library_id", "id"),
    )
