"""Desks, their cash sessions and the operations done in them.

One desk has at most one open session, enforced by a partial unique index
(PostgreSQL and SQLite both support it). Every operation first bumps the
session row with a guarded update (``status = 'open'``), and closing is the
same kind of guarded update, its sources taken from ``CASH_SESSION_TRANSITIONS``,
so an operation and a close never interleave: a closed session accepts nothing more.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Library, Patron, StaffUser
from backend.db import Base, PublicIdMixin, TimestampMixin
from backend.states import Transitions, state_check


class CashSessionState(StrEnum):
    OPEN = "open"  # takes operations
    CLOSED = "closed"  # counted and booked: takes nothing more


CASH_SESSION_TRANSITIONS = Transitions(CashSessionState, {CashSessionState.OPEN: {CashSessionState.CLOSED}})
TOPUP, PAYOUT = "cash_topup", "cash_payout"
# Cash taken or given back for a library shop sale (``backend.shop``): counted in the drawer too.
SHOP_SALE, SHOP_REFUND = "shop_sale", "shop_refund"
CASH_IN, CASH_OUT = (TOPUP, SHOP_SALE), (PAYOUT, SHOP_REFUND)


class Desk(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "desks"
    PUBLIC_ID_PREFIX = "dsk"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    library: Mapped[Library] = relationship()


class CashSession(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "cash_sessions"
    PUBLIC_ID_PREFIX = "css"

    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    status: Mapped[str] = mapped_column(String(8), default=CashSessionState.OPEN)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    opening_float: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    operations_count: Mapped[int] = mapped_column(default=0)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    closed_at: Mapped[datetime | None]
    expected_amount: Mapped[int | None] = mapped_column(BigInteger)
    counted_amount: Mapped[int | None] = mapped_column(BigInteger)
    # counted - expected: > 0 surplus, < 0 deficit.
    difference: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(500), default="")
    difference_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))

    desk: Mapped[Desk] = relationship()
    opened_by: Mapped[StaffUser] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[StaffUser | None] = relationship(foreign_keys=[closed_by_id])

    __table_args__ = (
        Index(
            "uq_cash_sessions_one_open_per_desk",
            "desk_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        state_check("status", CashSessionState),
    )


class DeskOperation(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "desk_operations"
    PUBLIC_ID_PREFIX = "dop"

    session_id: Mapped[int] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # cash_topup | cash_payout | shop_sale | shop_refund
    method: Mapped[str] = mapped_column(String(12), default="cash")
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))

    patron: Mapped[Patron] = relationship()
    operator: Mapped[StaffUser] = relationship()
