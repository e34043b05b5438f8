"""Card top-ups: start one, apply what the provider says, book refunds and disputes.

The wallet is credited only from the provider's own word: a verified webhook
or, when a webhook never came, the settle job asking the provider. Both go
through ``apply_intent``, whose guarded status change makes the credit happen
exactly once whatever the number and order of deliveries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.config import Settings
from backend.db import dialect_insert, get_or_404, utcnow
from backend.errors import DomainError
from backend.events.purchase import complete_pending_orders_for
from backend.ledger.models import JournalEntry, LedgerAccount
from backend.ledger.services import (
    Funding,
    Leg,
    card_account,
    credit,
    debit,
    post_entry,
    reverse_entry,
    wallet_of,
)
from backend.money import Money
from backend.notify.services import notify
from backend.receipts.services import app_series, issue_receipt
from backend.states import transition
from backend.topups.errors import (
    INVALID_WEBHOOK,
    PAYMENT_PROVIDER_UNAVAILABLE,
    TOPUP_AMOUNT_OUT_OF_RANGE,
    UNSUPPORTED_CURRENCY,
    WALLET_LIMIT_EXCEEDED,
)
from backend.topups.models import (
    OPEN_TOPUP_STATES,
    TOPUP_TRANSITIONS,
    CardDispute,
    PaymentCustomer,
    ProviderEvent,
    Topup,
    TopupState,
)
from payments.base import Intent, InvalidWebhook, PaymentError, PaymentProvider, WalletSheet, WebhookEvent

log = logging.getLogger(__name__)


@dataclass
class StartedTopup:
    topup: Topup
    intent: Intent
    sheet: WalletSheet
    publishable_key: str


# --- starting -----------------------------------------------------------------


def check_topup_amount(session: Session, settings: Settings, patron: Patron, money: Money) -> None:
    """Refuse amounts outside the configured range or over the wallet maximum (422)."""
    if money.currency != settings.currency:
        raise DomainError(UNSUPPORTED_CURRENCY, param="amount.currency", currency=settings.currency)
    low, high = Money(settings.topup_min_amount, money.currency), Money(settings.topup_max_amount, money.currency)
    if not low.amount <= money.amount <= high.amount:
        raise DomainError(TOPUP_AMOUNT_OUT_OF_RANGE, param="amount.amount", min=low, max=high)
    check_wallet_room(session, settings, patron, money)


def check_wallet_room(session: Session, settings: Settings, patron: Patron, money: Money) -> None:
    balance = wallet_of(session, patron, money.currency).balance or 0
    ceiling = Money(settings.wallet_max_balance, money.currency)
    if balance + money.amount > ceiling.amount:
        raise DomainError(
            WALLET_LIMIT_EXCEEDED,
            param="amount.amount",
            max=ceiling,
            room=Money(max(ceiling.amount - balance, 0), money.currency),
        )


def customer_of(session: Session, provider: PaymentProvider, patron: Patron) -> str:
    found = session.scalar(
        select(PaymentCustomer.customer_id).where(
            PaymentCustomer.patron_id == patron.id, PaymentCustomer.provider == provider.name
        )
    )
    if found:
        return found
    # Idempotent at the provider (keyed by our patron id): a race creates one customer.
    customer_id = provider.ensure_customer(patron.public_id, email=patron.email)
    session.execute(
        dialect_insert(session)(PaymentCustomer)
        .values(patron_id=patron.id, provider=provider.name, customer_id=customer_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["patron_id", "provider"])
    )
    return customer_id


def start_topup(
    session: Session, provider: PaymentProvider, settings: Settings, patron: Patron, money: Money
) -> StartedTopup:
    """Our record first, then the provider's intent carrying our id (metadata + idempotency key)."""
    check_topup_amount(session, settings, patron, money)
    topup = Topup(
        patron_id=patron.id,
        amount=money.amount,
        currency=money.currency,
        status=TopupState.PENDING,
        provider=provider.name,
    )
    session.add(topup)
    session.flush()
    try:
        customer_id = customer_of(session, provider, patron)
        intent = provider.create_intent(
            amount=money.amount,
            currency=money.currency,
            customer_id=customer_id,
            metadata={"topup_id": topup.public_id, "patron_id": patron.public_id},
            idempotency_key=f"topup-{topup.public_id}",
            description=f"Borsellino top-up {topup.public_id}",
        )
        sheet = provider.wallet_sheet(customer_id)
    except PaymentError as exc:
        log.warning("payment provider refused to start top-up %s: %s", topup.public_id, exc)
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE) from exc
    topup.intent_id = intent.id
    session.flush()
    return StartedTopup(topup, intent, sheet, provider.publishable_key)


def topup_of(session: Session, patron: Patron, public_id: str) -> Topup:
    topup = get_or_404(session, Topup, public_id, patron_id=patron.id)
    return topup


# --- applying the provider's word -----------------------------------------------


def _move(session: Session, topup: Topup, target: TopupState, **values) -> bool:
    """Guarded status change (sources from ``TOPUP_TRANSITIONS``): True for the one caller that made it."""
    changed = session.execute(
        transition(Topup, TOPUP_TRANSITIONS, target, Topup.id == topup.id).values(updated_at=utcnow(), **values)
    ).rowcount
    session.refresh(topup)
    return changed == 1


def apply_intent(session: Session, provider: PaymentProvider, topup: Topup, intent: Intent) -> str:
    """Bring the top-up in line with the intent's state; returns what was done."""
    if intent.status == "succeeded":
        if (intent.amount, intent.amount_received, intent.currency) != (topup.amount, topup.amount, topup.currency):
            if _move(
                session,
                topup,
                TopupState.AMOUNT_MISMATCH,
                failure_code=f"provider reports {intent.amount_received} {intent.currency}",
            ):
                log.error(
                    "top-up %s: amount mismatch (ours %s %s, provider %s/%s %s); not credited",
                    topup.public_id,
                    topup.amount,
                    topup.currency,
                    intent.amount,
                    intent.amount_received,
                    intent.currency,
                )
                return "amount_mismatch"
            return "already_settled"
        if not _move(session, topup, TopupState.SUCCEEDED, settled_at=utcnow(), failure_code=None):
            return "already_settled"
        _credit_wallet(session, provider, topup)
        return "credited"
    if intent.status == "canceled":
        was_pending = topup.status == TopupState.PENDING
        if _move(session, topup, TopupState.CANCELED, settled_at=utcnow()):
            if was_pending:
                notify(session, topup.patron, "topup_failed", amount=Money(topup.amount, topup.currency))
            return "canceled"
        return "already_settled"
    if intent.status == "requires_payment_method" and intent.last_error:
        # A declined attempt: the patron may still retry on the same intent.
        if _move(session, topup, TopupState.FAILED, failure_code=intent.last_error[:80]):
            notify(session, topup.patron, "topup_failed", amount=Money(topup.amount, topup.currency))
            return "marked_failed"
        return "unchanged"
    return "still_pending"


def _credit_wallet(session: Session, provider: PaymentProvider, topup: Topup) -> None:
    clearing = card_account(session, "card_clearing", topup.provider, topup.currency)
    credit_topup(
        session,
        topup,
        clearing,
        kind="topup_card",
        memo=f"card top-up {topup.intent_id}",
        funding=Funding("card", provider_ref=topup.intent_id),
        method="card",
    )


def credit_topup(
    session: Session, topup: Topup, clearing: LedgerAccount, *, kind: str, memo: str, funding: Funding, method: str
) -> JournalEntry:
    """A confirmed top-up reaches the wallet: the entry from ``clearing``, the receipt, the patron told."""
    patron = topup.patron
    money = Money(topup.amount, topup.currency)
    wallet = wallet_of(session, patron, money.currency)
    entry = post_entry(
        session,
        kind=kind,
        legs=[debit(clearing, money), credit(wallet, money)],
        memo=memo,
        reference=topup.public_id,
        actor="system",
        funding=funding,
    )
    topup.entry_id = entry.id
    balance = Money(wallet.balance, wallet.currency)
    network = patron.home_network
    issue_receipt(
        session,
        kind=f"{method}_topup",
        patron=patron,
        series=app_series(network),
        network=network,
        issuer_name=network.name,
        operator_name="App",
        amount=money,
        balance_after=balance,
        method=method,
        reference=topup.public_id,
        entry=entry,
    )
    notify(session, patron, "topup_succeeded", amount=money, balance=balance)
    wallet_credited(session, patron)
    return entry


def wallet_credited(session: Session, patron: Patron) -> None:
    """What money arriving in a patron's wallet sets off, for a top-up by card or in cash.

    Ticket orders kept while the patron topped up are paid now, in the same
    transaction (never raises for an order it can't pay; the events job is the
    safety net).
    """
    complete_pending_orders_for(session, patron)


def _topup_for_intent(session: Session, intent_id: str | None, metadata: dict | None = None) -> Topup | None:
    if intent_id:
        topup = session.scalar(select(Topup).where(Topup.intent_id == intent_id))
        if topup is not None:
            return topup
    public_id = (metadata or {}).get("topup_id")
    if public_id:
        return session.scalar(select(Topup).where(Topup.public_id == public_id))
    return None


def receive_webhook(session: Session, provider: PaymentProvider, payload: bytes, signature: str | None) -> str:
    try:
        event = provider.parse_webhook(payload, signature)
    except InvalidWebhook as exc:
        log.warning("refused webhook: %s", exc)
        raise DomainError(INVALID_WEBHOOK) from None
    return handle_event(session, provider, event)


def handle_event(session: Session, provider: PaymentProvider, event: WebhookEvent) -> str:
    """Process a verified event once (by event id); returns the outcome, also stored."""
    claimed = session.execute(
        dialect_insert(session)(ProviderEvent)
        .values(provider=provider.name, event_id=event.id, type=event.type[:80], outcome="", received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ProviderEvent.id)
    ).scalar()
    if claimed is None:
        return "duplicate"
    outcome = _dispatch(session, provider, event)
    session.execute(update(ProviderEvent).where(ProviderEvent.id == claimed).values(outcome=outcome[:40]))
    log.info("webhook %s %s: %s", event.type, event.id, outcome)
    return outcome


# Other domains that take card payments of their own (donations) register here: a handler
# returns its outcome for an event about one of its payments, or None for the next one.
_EVENT_HANDLERS: list = []


def register_event_handler(handler) -> None:
    """``handler(session, provider, event) -> str | None``, tried before the top-ups' own handling."""
    if handler not in _EVENT_HANDLERS:
        _EVENT_HANDLERS.append(handler)


def _dispatch(session: Session, provider: PaymentProvider, event: WebhookEvent) -> str:
    obj = event.object
    for handler in _EVENT_HANDLERS:
        outcome = handler(session, provider, event)
        if outcome is not None:
            return outcome
    if event.type.startswith("payment_intent."):
        topup = _topup_for_intent(session, obj.get("id"), obj.get("metadata"))
        if topup is None:
            return "unknown_intent"
        if event.type == "payment_intent.succeeded":
            # Signed by the provider and final: act on it as delivered.
            return apply_intent(session, provider, topup, _intent_from_event(obj))
        # Anything else may be stale (events arrive in any order): ask for the current state.
        return apply_intent(session, provider, topup, _fetch(provider, topup.intent_id))
    if event.type == "charge.refunded":
        topup = _topup_for_intent(session, obj.get("payment_intent"), obj.get("metadata"))
        if topup is None:
            return "unknown_intent"
        _ensure_credited(session, provider, topup)
        return book_provider_refund(session, topup, int(obj.get("amount_refunded") or 0))
    if event.type == "charge.dispute.created":
        topup = _topup_for_intent(session, obj.get("payment_intent"))
        if topup is None:
            return "unknown_intent"
        _ensure_credited(session, provider, topup)
        return book_dispute(session, topup, int(obj.get("amount") or 0), str(obj.get("id")))
    if event.type == "charge.dispute.closed":
        topup = _topup_for_intent(session, obj.get("payment_intent"))
        if topup is None:
            return "unknown_intent"
        if obj.get("status") != "won":
            return "dispute_lost"  # the money stays taken back, as booked when it opened
        return undo_dispute(session, topup, str(obj.get("id")))
    return "ignored"


def _fetch(provider: PaymentProvider, intent_id: str) -> Intent:
    try:
        return provider.retrieve_intent(intent_id)
    except PaymentError as exc:
        # The provider will deliver the event again; nothing is recorded meanwhile.
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE) from exc


def _ensure_credited(session: Session, provider: PaymentProvider, topup: Topup) -> None:
    """A refund or dispute may overtake the success event: settle the payment first."""
    if topup.status in OPEN_TOPUP_STATES:
        apply_intent(session, provider, topup, _fetch(provider, topup.intent_id))


def _intent_from_event(obj: dict) -> Intent:
    error = obj.get("last_payment_error") or {}
    return Intent(
        id=obj["id"],
        status=obj.get("status", ""),
        amount=int(obj.get("amount") or 0),
        currency=str(obj.get("currency", "")).upper(),
        amount_received=int(obj.get("amount_received") or 0),
        metadata=dict(obj.get("metadata") or {}),
        last_error=error.get("code") or error.get("message"),
    )


# --- money going back through the provider -----------------------------------


def _lock_wallet(session: Session, patron: Patron, currency: str) -> LedgerAccount:
    wallet = wallet_of(session, patron, currency)
    return session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.id == wallet.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _take_back(session: Session, topup: Topup, amount: int, *, kind: str, memo: str):
    """The provider took ``amount`` back: debit the wallet for what is still there, the rest is a loss.

    The wallet never goes negative: if the patron already spent the money, the
    uncovered part is booked to ``chargebacks`` (an expense finance follows up).
    """
    money = Money(amount, topup.currency)
    wallet = _lock_wallet(session, topup.patron, topup.currency)
    take = min(amount, wallet.available)
    clearing = card_account(session, "card_clearing", topup.provider, topup.currency)
    legs: list[Leg] = [credit(clearing, money)]
    if take > 0:
        legs.append(debit(wallet, Money(take, topup.currency)))
    if amount - take > 0:
        legs.append(
            debit(
                card_account(session, "chargebacks", topup.provider, topup.currency),
                Money(amount - take, topup.currency),
            )
        )
    credited = session.scalar(
        select(JournalEntry).where(JournalEntry.reference == topup.public_id, JournalEntry.kind == "topup_card")
    )
    # The money leaves from this top-up's own card lot first, so what stays
    # refundable to a card is what the patron's other card payments brought.
    entry = post_entry(session, kind=kind, legs=legs, memo=memo, reference=topup.public_id, take_back_from=credited)
    return entry, Money(take, topup.currency)


def book_provider_refund(session: Session, topup: Topup, amount_refunded_total: int) -> str:
    """``charge.refunded`` carries the cumulative refunded amount; book only what is new.

    Refunds we asked for are booked when asked (``refunded_amount`` already
    includes them), so only refunds made at the provider directly move money here.
    """
    before = topup.refunded_amount
    delta = min(amount_refunded_total, topup.amount) - before
    if delta <= 0 or topup.status != TopupState.SUCCEEDED:
        return "already_booked"
    if not session.execute(
        update(Topup)
        .where(Topup.id == topup.id, Topup.refunded_amount == before)
        .values(refunded_amount=before + delta, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount:
        raise RuntimeError("concurrent refund booking; the provider will redeliver")
    session.refresh(topup)
    _, taken = _take_back(
        session, topup, delta, kind="card_refund_external", memo=f"refund made at the provider on {topup.intent_id}"
    )
    if taken.amount:
        notify(session, topup.patron, "refund_processed", amount=taken, description=_topup_description(topup))
    return "refund_booked"


def _dispute_of(session: Session, topup: Topup, dispute_id: str) -> CardDispute | None:
    return session.scalar(
        select(CardDispute).where(
            CardDispute.provider == topup.provider,
            CardDispute.dispute_id == dispute_id,
            CardDispute.topup_id == topup.id,
        )
    )


def book_dispute(session: Session, topup: Topup, amount: int, dispute_id: str) -> str:
    if amount <= 0 or topup.status != TopupState.SUCCEEDED:
        return "ignored"
    if _dispute_of(session, topup, dispute_id) is not None:
        return "already_booked"  # the same dispute told again (its id is unique at the provider)
    amount = min(amount, topup.amount - topup.disputed_amount)
    if amount <= 0:
        return "already_booked"
    session.execute(
        update(Topup)
        .where(Topup.id == topup.id)
        .values(disputed_amount=Topup.disputed_amount + amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(topup)
    entry, taken = _take_back(
        session, topup, amount, kind="card_dispute", memo=f"card dispute {dispute_id} on {topup.intent_id}"
    )
    session.add(CardDispute(provider=topup.provider, dispute_id=dispute_id, topup_id=topup.id, entry_id=entry.id))
    notify(
        session,
        topup.patron,
        "card_disputed",
        amount=Money(amount, topup.currency),
        taken=taken,
        description=_topup_description(topup),
    )
    return "dispute_booked"


def undo_dispute(session: Session, topup: Topup, dispute_id: str) -> str:
    """A dispute we won: the money taken back returns where it was (wallet lots, chargebacks)."""
    dispute = _dispute_of(session, topup, dispute_id)
    if dispute is None:
        return "unknown_dispute"
    entry = session.get_one(JournalEntry, dispute.entry_id)
    if session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id)):
        return "already_booked"
    amount = -sum(p.amount for p in entry.postings if p.account.kind == "card_clearing")
    reverse_entry(session, entry, memo=f"card dispute {dispute_id} won on {topup.intent_id}")
    session.execute(
        update(Topup)
        .where(Topup.id == topup.id)
        .values(disputed_amount=Topup.disputed_amount - amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(topup)
    return "dispute_won"


def _topup_description(topup: Topup) -> str:
    return f"ricarica/top-up {topup.public_id}"


# --- settle job -------------------------------------------------------------------


SETTLE_AFTER = timedelta(minutes=10)
SETTLE_WITHIN = timedelta(days=7)


def open_topups_to_settle(session: Session, now=None, limit: int = 200) -> list[int]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(Topup.id)
            .where(
                Topup.status.in_(OPEN_TOPUP_STATES),
                Topup.intent_id.is_not(None),
                Topup.created_at <= now - SETTLE_AFTER,
                Topup.created_at >= now - SETTLE_WITHIN,
            )
            .order_by(Topup.id)
            .limit(limit)
        )
    )


def settle_topup(session: Session, provider: PaymentProvider, topup_id: int) -> str:
    topup = session.get(Topup, topup_id)
    if topup is None or topup.status not in OPEN_TOPUP_STATES:
        return "already_settled"
    return apply_intent(session, provider, topup, provider.retrieve_intent(topup.intent_id))


def count_by_status(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Topup.status, func.count()).group_by(Topup.status)).all())
