"""A request for the patron's confirmation in the app, answered once before it expires."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.accounts.models import Patron
from backend.db import Base, PublicIdMixin, TimestampMixin
from backend.states import Transitions, state_check


class ConfirmationState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"


CONFIRMATION_TRANSITIONS = Transitions(
    ConfirmationState,
    {
        ConfirmationState.PENDING: {ConfirmationState.CONFIRMED, ConfirmationState.DECLINED, ConfirmationState.EXPIRED},
    },
)


class Confirmation(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "confirmations"
    PUBLIC_ID_PREFIX = "cnf"

    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    # Which registered handler acts on the answer, e.g. "partners.till_payment".
    purpose: Mapped[str] = mapped_column(String(40))
    # Public id of what is being confirmed (a till payment, a shop order…).
    reference: Mapped[str] = mapped_column(String(64))
    # Who asks (shown to the patron: a venue, a library shop) and what for.
    requester: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(200), default="")
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    state: Mapped[str] = mapped_column(String(16), default=ConfirmationState.PENDING)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    patron: Mapped[Patron] = relationship()

    __table_args__ = (state_check("state", ConfirmationState),)
