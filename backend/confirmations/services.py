"""Ask a patron to confirm something in the app, and act on the answer exactly once.

A counter (a partner's till, a library shop) calls ``request_confirmation``: that
writes the request and the patron's notification (inbox at once, push through the
outbox). The patron answers with ``answer`` before ``expires_at``; the answer is a
guarded state change (``WHERE state IN sources_of(target) AND expires_at > now``),
so two taps, two devices or a late tap never act twice. The domain that asked
registers what happens on each outcome::

    register_handler("partners.till_payment", on_confirmed=pay, on_declined=..., on_expired=...)

Each handler is ``fn(session, confirmation)`` and runs in the same transaction as the
answer: a handler that raises (e.g. insufficient funds) rolls the answer back too.
``expire_due`` (scheduler job ``confirmations_expire``) closes unanswered requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.confirmations.errors import CONFIRMATION_ANSWERED, CONFIRMATION_EXPIRED
from backend.confirmations.models import CONFIRMATION_TRANSITIONS, Confirmation, ConfirmationState
from backend.db import get_or_404, utcnow
from backend.errors import DomainError
from backend.money import Money
from backend.notify.services import notify

DEFAULT_TTL = timedelta(minutes=2)
Handler = Callable[[Session, Confirmation], None]


def _nothing(session: Session, confirmation: Confirmation) -> None:
    return None


@dataclass(frozen=True)
class Handlers:
    on_confirmed: Handler
    on_declined: Handler = _nothing
    on_expired: Handler = _nothing


_HANDLERS: dict[str, Handlers] = {}


def register_handler(
    purpose: str, *, on_confirmed: Handler, on_declined: Handler = _nothing, on_expired: Handler = _nothing
) -> None:
    _HANDLERS[purpose] = Handlers(on_confirmed, on_declined, on_expired)


def request_confirmation(
    session: Session,
    patron: Patron,
    *,
    purpose: str,
    reference: str,
    requester: str,
    description: str,
    amount: Money,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> Confirmation:
    if purpose not in _HANDLERS:
        raise ValueError(f"no handler registered for {purpose!r}")
    now = now or utcnow()
    confirmation = Confirmation(
        patron_id=patron.id,
        purpose=purpose,
        reference=reference,
        requester=requester[:200],
        description=description[:200],
        amount=amount.amount,
        currency=amount.currency,
        expires_at=now + ttl,
        state=ConfirmationState.PENDING,
        created_at=now,
    )
    session.add(confirmation)
    session.flush()
    notify(
        session,
        patron,
        "confirmation_request",
        requester=requester,
        description=description or "-",
        amount=amount,
        expires_at=confirmation.expires_at,
    )
    return confirmation


def pending_for(session: Session, patron: Patron, now: datetime | None = None) -> list[Confirmation]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(Confirmation)
            .where(
                Confirmation.patron_id == patron.id,
                Confirmation.state == ConfirmationState.PENDING,
                Confirmation.expires_at > now,
            )
            .order_by(Confirmation.id.desc())
            .limit(20)
        )
    )


def own(session: Session, patron: Patron, public_id: str) -> Confirmation:
    return get_or_404(session, Confirmation, public_id, patron_id=patron.id)


def _move(
    session: Session, confirmation: Confirmation, target: ConfirmationState, now: datetime, *, unexpired: bool
) -> bool:
    stmt = (
        update(Confirmation)
        .where(Confirmation.id == confirmation.id, Confirmation.state.in_(CONFIRMATION_TRANSITIONS.sources_of(target)))
        .values(state=target, decided_at=now)
    )
    if unexpired:
        stmt = stmt.where(Confirmation.expires_at > now)
    moved = session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(confirmation)
    return moved


def answer(
    session: Session, patron: Patron, public_id: str, *, accept: bool, now: datetime | None = None
) -> Confirmation:
    """Confirm or decline; the registered handler acts in this same transaction."""
    now = now or utcnow()
    confirmation = own(session, patron, public_id)
    target = ConfirmationState.CONFIRMED if accept else ConfirmationState.DECLINED
    if not _move(session, confirmation, target, now, unexpired=True):
        if confirmation.state == ConfirmationState.PENDING:  # past its deadline
            raise DomainError(CONFIRMATION_EXPIRED)
        raise DomainError(CONFIRMATION_ANSWERED, state=confirmation.state)
    handlers = _HANDLERS[confirmation.purpose]
    (handlers.on_confirmed if accept else handlers.on_declined)(session, confirmation)
    return confirmation


def expire_due(session: Session, now: datetime | None = None) -> int:
    """Close requests nobody answered in time (their handlers' ``on_expired`` runs)."""
    now = now or utcnow()
    due = list(
        session.scalars(
            select(Confirmation)
            .where(Confirmation.state == ConfirmationState.PENDING, Confirmation.expires_at <= now)
            .limit(500)
        )
    )
    expired = 0
    for confirmation in due:
        if _move(session, confirmation, ConfirmationState.EXPIRED, now, unexpired=False):
            _HANDLERS[confirmation.purpose].on_expired(session, confirmation)
            expired += 1
    return expired
