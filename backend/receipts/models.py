"""Numbered receipts.

Numbers are sequential per series and year, without gaps ("RHO-2026-000042",
the Europe/Rome year of the receipt's date): the Italian habit for receipts,
and what lets an auditor see at a glance that none is missing. A series is a
library (desk receipts) or a network's app (card top-ups). The counter row is
updated in the same transaction as the money, so a rolled-back operation never
burns a number.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, BigId, PublicIdMixin, TimestampMixin


class ReceiptCounter(Base):
    __tablename__ = "receipt_counters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    series: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("series", "year"),)


class Receipt(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "receipts"
    PUBLIC_ID_PREFIX = "rcp"

    series: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    # cash_topup | cash_payout | card_topup | card_refund | shop_sale | shop_refund
    kind: Mapped[str] = mapped_column(String(20))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    # Names as they were at the time (people and libraries get renamed).
    issuer_name: Mapped[str] = mapped_column(String(200))
    operator_name: Mapped[str] = mapped_column(String(200))
    patron_name: Mapped[str] = mapped_column(String(250))
    card_number: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    balance_after: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(12))  # cash | card | wallet
    # Public id of what it documents (desk operation, top-up) and the ledger entry.
    reference: Mapped[str] = mapped_column(String(64), index=True)
    entry_public_id: Mapped[str] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("series", "year", "sequence"),)
