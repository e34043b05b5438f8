"""Tables of the finance domain: clearing between networks and the staff audit trail.

Closed periods are the ledger's own (``backend.ledger.models.ClosedPeriod``: the ledger
refuses postings inside them). The reconciliation tables (Stripe payouts, cash deposits,
partner settlements) live in ``backend.finance.reconciliation.models``. Money itself is
only in the ledger's tables; these rows describe what finance decided about it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Network
from backend.db import Base, BigId, PublicIdMixin, TimestampMixin
from backend.states import Transitions, state_check


class StaffAuditEvent(PublicIdMixin, TimestampMixin, Base):
    """One staff action that changed money or rights: who, when, from which session, what, before/after.

    Written only by ``backend.finance.audit.record`` and never changed: there is no
    update or delete path in the code, and on PostgreSQL a trigger refuses UPDATE and
    DELETE on the table (migration ``f01_finance``).
    """

    __tablename__ = "staff_audit_events"
    PUBLIC_ID_PREFIX = "aud"

    actor: Mapped[str] = mapped_column(String(64))  # the staff user's public id
    actor_role: Mapped[str] = mapped_column(String(16))
    # The actor's network: who may read the event (finance and admins of that network).
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"))
    session_id: Mapped[str | None] = mapped_column(String(64))  # the sign-in session (API token or console)
    channel: Mapped[str] = mapped_column(String(12))  # api, console, cli
    action: Mapped[str] = mapped_column(String(60))  # e.g. ledger.entry, period.close, staff.role
    target: Mapped[str | None] = mapped_column(String(120))  # public id of what it acted on
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_staff_audit_events_network_id_id", "network_id", "id"),)


class TransferState(StrEnum):
    DUE = "due"
    PAID = "paid"  # marked by the paying network's finance, with the bank reference; booked in the ledger
    # Not paid when the next month's statement was drawn up: its amount is in that statement's positions.
    SUPERSEDED = "superseded"


TRANSFER_TRANSITIONS = Transitions(TransferState, {TransferState.DUE: {TransferState.PAID, TransferState.SUPERSEDED}})


class ClearingStatement(PublicIdMixin, TimestampMixin, Base):
    """The monthly clearing between networks: every network's net position at the month's end
    (Europe/Rome) and the netted transfers that settle them all (at most n − 1)."""

    __tablename__ = "finance_clearing_statements"
    PUBLIC_ID_PREFIX = "clr"

    month: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM
    currency: Mapped[str] = mapped_column(String(3))
    as_of: Mapped[datetime]  # the month's end: positions are the settlement balances before it
    created_by: Mapped[str] = mapped_column(String(64))

    positions: Mapped[list[ClearingPosition]] = relationship(order_by="ClearingPosition.id")
    transfers: Mapped[list[ClearingTransfer]] = relationship(order_by="ClearingTransfer.id")


class ClearingPosition(Base):
    """A network's net position in a statement: > 0 it owes the others, < 0 the others owe it."""

    __tablename__ = "finance_clearing_positions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("finance_clearing_statements.id"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    amount: Mapped[int] = mapped_column(BigInteger)

    network: Mapped[Network] = relationship()

    __table_args__ = (UniqueConstraint("statement_id", "network_id"),)


class ClearingTransfer(PublicIdMixin, TimestampMixin, Base):
    """One netted bank transfer of a statement, from the network that owes to one that is owed."""

    __tablename__ = "finance_clearing_transfers"
    PUBLIC_ID_PREFIX = "ctr"

    statement_id: Mapped[int] = mapped_column(ForeignKey("finance_clearing_statements.id"), index=True)
    payer_network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    payee_network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(12), default=TransferState.DUE)
    paid_at: Mapped[datetime | None]
    paid_by: Mapped[str | None] = mapped_column(String(64))
    bank_reference: Mapped[str | None] = mapped_column(String(140))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))

    payer: Mapped[Network] = relationship(foreign_keys=[payer_network_id])
    payee: Mapped[Network] = relationship(foreign_keys=[payee_network_id])

    __table_args__ = (
        state_check("state", TransferState),
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("payer_network_id <> payee_network_id", name="two_networks"),
        CheckConstraint("(state = 'paid') = (entry_id IS NOT NULL)", name="paid_is_booked"),
    )
