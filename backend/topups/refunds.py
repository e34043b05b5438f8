"""Refund of unused card-funded balance to the card(s) it came from.

Asked by the patron in the app. In the request's transaction: the wallet is
debited (card lots only, oldest first) and one ``CardRefund`` per original
card payment is recorded as pending. After the commit (and again from the
settle job, until the provider answers) each pending refund is sent to the
provider with its own id as idempotency key, so sending twice refunds once.
A refusal gives the money back to the wallet by reversing that debit.

Cash-funded money is paid out at a library desk (``backend.desk``).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.db import new_public_id, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.ledger.models import JournalEntry, LotAllocation
from backend.ledger.services import card_account, credit, debit, post_entry, reverse_entry, wallet_lots
from backend.money import Money
from backend.notify.services import notify
from backend.pagination import Page, paginate
from backend.states import transition
from backend.topups.errors import NOTHING_TO_REFUND
from backend.topups.models import REFUND_TRANSITIONS, CardRefund, RefundState, Topup, TopupState
from backend.topups.services import _lock_wallet, _topup_description
from payments.base import PaymentError, PaymentProvider, PaymentRefused

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20


def _refundable_lots(session: Session, patron: Patron, currency: str):
    """Card lots that can go back to their payment, oldest first, as (lot, top-up, amount).

    Stops at the first lot that can't (unknown payment, or one the provider
    already took back), because the ledger spends card lots oldest first.
    """
    wallet = _lock_wallet(session, patron, currency)
    out = []
    for lot in wallet_lots(session, wallet, ("card",)):
        topup = session.scalar(select(Topup).where(Topup.intent_id == lot.provider_ref)) if lot.provider_ref else None
        if topup is None or topup.status != TopupState.SUCCEEDED or topup.patron_id != patron.id:
            break
        room = topup.amount - topup.refunded_amount - topup.disputed_amount
        amount = min(lot.remaining, room)
        if amount > 0:
            out.append((lot, topup, amount))
        if amount < lot.remaining:
            break
    return wallet, out


def refundable_amount(session: Session, patron: Patron, currency: str = "EUR") -> Money:
    wallet, lots = _refundable_lots(session, patron, currency)
    return Money(min(sum(a for _, _, a in lots), wallet.available), currency)


def request_refund(session: Session, patron: Patron, money: Money, *, actor: str) -> list[CardRefund]:
    wallet, lots = _refundable_lots(session, patron, money.currency)
    refundable = min(sum(a for _, _, a in lots), wallet.available)
    if money.amount > refundable:
        raise DomainError(NOTHING_TO_REFUND, param="amount.amount", refundable=Money(refundable, money.currency))
    request_id = new_public_id("rfr")
    left, refunds = money.amount, []
    for lot, topup, available in lots:
        if left == 0:
            break
        part = Money(min(available, left), money.currency)
        clearing = card_account(session, "card_clearing", topup.provider, money.currency)
        refund = CardRefund(
            patron_id=patron.id,
            topup_id=topup.id,
            request_id=request_id,
            amount=part.amount,
            currency=part.currency,
            status=RefundState.PENDING,
            entry_id=0,
        )
        entry = post_entry(
            session,
            kind="card_refund",
            legs=[debit(wallet, part), credit(clearing, part)],
            memo=f"refund to card {topup.intent_id}",
            reference=refund.public_id,
            actor=actor,
            spend_from=("card",),
        )
        spent = session.scalars(select(LotAllocation.lot_id).where(LotAllocation.entry_id == entry.id)).all()
        if list(spent) != [lot.id]:
            raise RuntimeError("card lots were not spent in the expected order")  # programming error
        refund.entry_id = entry.id
        session.add(refund)
        session.execute(
            update(Topup)
            .where(Topup.id == topup.id)
            .values(refunded_amount=Topup.refunded_amount + part.amount, updated_at=utcnow())
        )
        refunds.append(refund)
        left -= part.amount
    session.flush()
    return refunds


def refunds_of_request(session: Session, patron: Patron, request_id: str) -> list[CardRefund]:
    refunds = list(
        session.scalars(
            select(CardRefund)
            .where(CardRefund.request_id == request_id, CardRefund.patron_id == patron.id)
            .order_by(CardRefund.id)
        )
    )
    if not refunds:
        raise DomainError(NOT_FOUND)
    return refunds


def my_refund_requests(session: Session, patron: Patron, *, limit: int, starting_after: str | None) -> Page:
    """The patron's refund requests, newest first: each item is the list of its parts.

    Paged by the request's first part (its id is the cursor).
    """
    firsts = select(func.min(CardRefund.id)).where(CardRefund.patron_id == patron.id).group_by(CardRefund.request_id)
    page = paginate(
        session,
        select(CardRefund).where(CardRefund.id.in_(firsts)),
        CardRefund,
        limit=limit,
        starting_after=starting_after,
    )
    page.data = [refunds_of_request(session, patron, first.request_id) for first in page.data]
    return page


def pending_refund_ids(session: Session, request_id: str | None = None, limit: int = 200) -> list[int]:
    stmt = select(CardRefund.id).where(CardRefund.status == RefundState.PENDING)
    if request_id:
        stmt = stmt.where(CardRefund.request_id == request_id)
    return list(session.scalars(stmt.order_by(CardRefund.id).limit(limit)))


def submit_refund(database, provider: PaymentProvider, refund_id: int) -> str:
    """Send one pending refund to the provider (outside any transaction) and record the answer."""

    def load(session):
        refund = session.get(CardRefund, refund_id)
        if refund is None or refund.status != RefundState.PENDING:
            return None
        return refund.public_id, refund.topup.intent_id, refund.amount

    loaded = database.run_in_transaction(load)
    if loaded is None:
        return "not_pending"
    public_id, intent_id, amount = loaded
    try:
        answer = provider.refund(
            intent_id=intent_id, amount=amount, idempotency_key=f"refund-{public_id}", metadata={"refund_id": public_id}
        )
    except PaymentRefused as exc:
        reason = str(exc)
        return database.run_in_transaction(lambda s: _refused(s, refund_id, reason))
    except PaymentError as exc:
        reason = str(exc)
        database.run_in_transaction(lambda s: _retry_later(s, refund_id, reason))
        return "retry_later"
    if answer.status in ("failed", "canceled"):
        return database.run_in_transaction(lambda s: _refused(s, refund_id, f"provider status {answer.status}"))
    return database.run_in_transaction(lambda s: _accepted(s, refund_id, answer.id))


def _accepted(session: Session, refund_id: int, provider_refund_id: str) -> str:
    if not session.execute(
        transition(CardRefund, REFUND_TRANSITIONS, RefundState.SUCCEEDED, CardRefund.id == refund_id).values(
            provider_refund_id=provider_refund_id,
            attempts=CardRefund.attempts + 1,
            updated_at=utcnow(),
        )
    ).rowcount:
        return "not_pending"
    refund = session.get(CardRefund, refund_id)
    notify(
        session,
        refund.topup.patron,
        "refund_processed",
        amount=Money(refund.amount, refund.currency),
        description=_topup_description(refund.topup),
    )
    return "refunded"


def _refused(session: Session, refund_id: int, reason: str) -> str:
    if not session.execute(
        transition(CardRefund, REFUND_TRANSITIONS, RefundState.FAILED, CardRefund.id == refund_id).values(
            last_error=reason[:300], attempts=CardRefund.attempts + 1, updated_at=utcnow()
        )
    ).rowcount:
        return "not_pending"
    refund = session.get(CardRefund, refund_id)
    log.warning("refund %s refused by the provider: %s; money back to the wallet", refund.public_id, reason)
    reverse_entry(
        session,
        session.get(JournalEntry, refund.entry_id),
        memo=f"refund {refund.public_id} refused by the card provider",
    )
    session.execute(
        update(Topup)
        .where(Topup.id == refund.topup_id)
        .values(refunded_amount=Topup.refunded_amount - refund.amount, updated_at=utcnow())
    )
    return "refused"


def _retry_later(session: Session, refund_id: int, reason: str) -> None:
    session.execute(
        update(CardRefund)
        .where(CardRefund.id == refund_id, CardRefund.status == RefundState.PENDING)
        .values(attempts=CardRefund.attempts + 1, last_error=reason[:300], updated_at=utcnow())
    )


def submit_pending_refunds(database, provider: PaymentProvider, request_id: str | None = None) -> dict[str, int]:
    ids = database.run_in_transaction(lambda s: pending_refund_ids(s, request_id))
    counts: dict[str, int] = {}
    for refund_id in ids:
        outcome = submit_refund(database, provider, refund_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
