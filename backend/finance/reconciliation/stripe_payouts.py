"""Stripe payouts: fetch a paid payout's balance transactions, book what Stripe kept, reconcile.

Our side of a card payout is every ledger entry on the Stripe card-clearing
account: card top-ups and card donations in, refunds (ours and those made at
Stripe), disputes out, a won dispute back in. Each is keyed by its payment
intent, which Stripe's balance transactions name through their source
(charge, refund, dispute), so the engine in ``services`` pairs them.

Booked once per payout, whatever the number of webhooks and job runs::

    card fees (expense)         debit   what Stripe kept (processing, dispute, own fees)
    card adjustments            debit   Stripe's own corrections taken (credit: given)
    bank                        debit   the payout
    card clearing               credit  the payments, refunds and disputes the payout settles
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.campaigns.models import Donation
from backend.config import Settings
from backend.db import utcnow
from backend.errors import DomainError
from backend.finance.reconciliation import services
from backend.finance.reconciliation.errors import CARD_ACCOUNT_NETWORK_UNSET
from backend.finance.reconciliation.models import LineKind, ReconciliationRun, Source, StatementLine
from backend.finance.reconciliation.services import OurMovement, StatementEntry
from backend.ledger.models import FundingLot, JournalEntry, LedgerAccount, Posting
from backend.ledger.services import Leg, card_account, credit, debit, house_account, post_entry
from backend.money import Money
from backend.topups import services as topups
from backend.topups.errors import PAYMENT_PROVIDER_UNAVAILABLE
from backend.topups.models import CardRefund, Topup
from payments.base import BalanceTransaction, PaymentError, PaymentProvider, Payout, WebhookEvent

log = logging.getLogger(__name__)

PAYOUT_ENTRY_KIND = "card_payout"

# Ledger entry kind on card clearing -> what Stripe calls it.
_KIND_OF_ENTRY = {
    "topup_card": LineKind.PAYMENT,
    "donation_card": LineKind.PAYMENT,
    "card_refund": LineKind.REFUND,
    "card_refund_external": LineKind.REFUND,
    "donation_card_refund": LineKind.REFUND,
    "donation_card_refund_external": LineKind.REFUND,
    "card_dispute": LineKind.DISPUTE,
    "donation_card_dispute": LineKind.DISPUTE,
}


def line_kind(txn: BalanceTransaction) -> LineKind:
    """Stripe's many balance-transaction types, as the engine's few kinds."""
    category = txn.reporting_category
    if txn.type in ("charge", "payment") or category == "charge":
        return LineKind.PAYMENT
    if txn.type in ("refund", "payment_refund", "refund_failure") or category in ("refund", "refund_failure"):
        return LineKind.REFUND
    if category in ("dispute", "dispute_reversal") or (txn.source_id or "").startswith(("dp_", "du_")):
        return LineKind.DISPUTE
    if txn.type in ("stripe_fee", "tax_fee", "application_fee") or category == "fee":
        return LineKind.FEE
    if txn.type == "adjustment" or category == "other_adjustment":
        return LineKind.ADJUSTMENT
    return LineKind.OTHER


# --- our side ---------------------------------------------------------------------


def clearing_account(session: Session, provider_name: str, currency: str) -> LedgerAccount:
    """Card clearing of one provider: what it owes us (the account every card booking uses)."""
    return card_account(session, "card_clearing", provider_name, currency)


def candidates(session: Session, run: ReconciliationRun) -> list[OurMovement]:
    """Entries on the run's card clearing that no match has consumed yet (the payouts' own excluded)."""
    clearing_id = run.account_id
    consumed = services.consumed_refs(session, run.source, "ours")
    rows = session.execute(
        select(JournalEntry, Posting.amount)
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .where(
            Posting.account_id == clearing_id,
            # The run's own bookings: the payout, and the differences it accepted.
            JournalEntry.kind.not_in((PAYOUT_ENTRY_KIND, services.DIFFERENCE_ENTRY_KIND)),
        )
        .order_by(JournalEntry.id)
    ).all()
    entries = [(entry, amount) for entry, amount in rows if entry.public_id not in consumed]
    by_id = {entry.id: entry for entry, _ in entries}
    # A refund Stripe refused was given back by reversing it: together they moved nothing there
    # (a won dispute's reversal did move money: Stripe gave it back).
    cancelled: set[int] = set()
    for entry, _ in entries:
        original = by_id.get(entry.reverses_id) if entry.reverses_id else None
        if original is not None and _KIND_OF_ENTRY.get(original.kind) != LineKind.DISPUTE:
            cancelled.update((entry.id, original.id))
    entries = [(e, a) for e, a in entries if e.id not in cancelled]

    references = {e.reference for e, _ in entries if e.reference}
    for e, _ in entries:
        if e.reverses_id and e.reverses_id not in by_id:
            original = session.get(JournalEntry, e.reverses_id)
            if original is not None:
                by_id[original.id] = original
                if original.reference:
                    references.add(original.reference)
    topups_by_ref = {
        t.public_id: t for t in session.scalars(select(Topup).where(Topup.public_id.in_(references))) if references
    }
    donations_by_ref = {
        d.public_id: d
        for d in session.scalars(select(Donation).where(Donation.public_id.in_(references)))
        if references
    }
    refunds_by_ref = {
        r.public_id: r for r in session.scalars(select(CardRefund).where(CardRefund.public_id.in_(references)))
    }

    # Card money credited without a top-up record of ours still names its payment on its funding lot.
    lot_refs = dict(
        session.execute(
            select(FundingLot.entry_id, FundingLot.provider_ref).where(
                FundingLot.entry_id.in_([e.id for e, _ in entries]), FundingLot.provider_ref.is_not(None)
            )
        ).all()
    )

    movements = []
    for entry, amount in entries:
        about = by_id.get(entry.reverses_id) if entry.reverses_id else entry
        kind = _KIND_OF_ENTRY.get(about.kind if about is not None else "", LineKind.OTHER)
        intent_id, network_id = None, None
        reference = about.reference if about is not None else None
        if reference in topups_by_ref:
            topup = topups_by_ref[reference]
            intent_id, network_id = topup.intent_id, topup.patron.home_network_id
        elif reference in donations_by_ref:
            donation = donations_by_ref[reference]
            intent_id, network_id = donation.intent_id, donation.network_id
        elif reference in refunds_by_ref:
            refund = refunds_by_ref[reference]
            intent_id, network_id = refund.topup.intent_id, refund.topup.patron.home_network_id
        elif about is not None and about.id in lot_refs:
            intent_id = lot_refs[about.id]
        # The card network's finance reconciles every network's card money, but of another
        # network's patrons it sees only the entry, its kind, amount and network: not which
        # top-up, donation or refund (and so which patron) it was.
        theirs = network_id is not None and network_id != run.network_id
        movements.append(
            OurMovement(
                ref=entry.public_id,
                label=entry.kind if theirs else (reference or entry.kind),
                kind=kind,
                match_key=intent_id if kind != LineKind.OTHER else None,
                amount=int(amount),
                occurred_at=entry.created_at,
                network_id=network_id,
            )
        )
    return movements


services.register_source(Source.STRIPE, candidates)


# --- the payout ---------------------------------------------------------------------


def card_account_network(session: Session, settings: Settings) -> Network:
    """The network whose finance reconciles the Stripe account."""
    if settings.card_account_network:
        network = session.scalar(select(Network).where(Network.code == settings.card_account_network))
    else:
        only = session.scalars(select(Network).limit(2)).all()
        network = only[0] if len(only) == 1 else None
    if network is None:
        raise DomainError(CARD_ACCOUNT_NETWORK_UNSET)
    return network


def _when(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _provider_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except PaymentError as exc:
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE) from exc


def ingest_payout(
    session: Session, provider: PaymentProvider, settings: Settings, payout_id: str, *, now: datetime | None = None
) -> ReconciliationRun | None:
    """Fetch a paid payout once, book it once, and (re)reconcile it; ``None`` if it is not paid."""
    now = now or utcnow()
    payout: Payout = _provider_call(provider.retrieve_payout, payout_id)
    if payout.status != "paid":
        return None
    run = session.scalar(
        select(ReconciliationRun).where(
            ReconciliationRun.source == Source.STRIPE, ReconciliationRun.external_ref == payout.id
        )
    )
    if run is None:
        run = _new_run(session, provider, settings, payout)
    services.reconcile(session, run, tolerance=settings.reconciliation_tolerance, now=now)
    return run


def _new_run(session: Session, provider: PaymentProvider, settings: Settings, payout: Payout) -> ReconciliationRun:
    network = card_account_network(session, settings)
    transactions: list[BalanceTransaction] = _provider_call(provider.payout_transactions, payout.id)
    lines = [
        StatementEntry(
            external_id=txn.id,
            kind=line_kind(txn),
            amount=txn.amount,
            fee=txn.fee,
            match_key=txn.payment_intent_id,
            occurred_at=_when(txn.created),
            description=txn.description or txn.type,
        )
        for txn in transactions
    ]
    run, new = services.record_statement(
        session,
        source=Source.STRIPE,
        external_ref=payout.id,
        network=network,
        account=clearing_account(session, provider.name, payout.currency),
        amount=payout.amount,
        statement_date=_when(payout.arrival_date or payout.created).date(),
        lines=lines,
        cutoff_at=max((line.occurred_at for line in lines), default=_when(payout.created)),
    )
    if new:
        book_payout(session, run, network)
    return run


def book_payout(session: Session, run: ReconciliationRun, network: Network) -> None:
    """What Stripe kept (an expense) and what reached the bank, out of card clearing, once."""
    currency = run.currency
    legs: list[Leg] = []
    fees, paid = run.fee_amount, run.statement_amount
    # Stripe's own adjustments (not a dispute's) move its balance but none of our card
    # movements: they go to their own account, so card clearing drops by exactly what it
    # holds of the payments, refunds and disputes in the payout. Lines > 0: Stripe gave.
    adjusted = sum(
        session.scalars(
            select(StatementLine.amount).where(
                StatementLine.run_id == run.id, StatementLine.kind == LineKind.ADJUSTMENT
            )
        )
    )
    if adjusted:
        account = house_account(session, "card_adjustments", network.public_id, currency, network=network)
        gap = Money(abs(adjusted), currency)
        legs.append(credit(account, gap) if adjusted > 0 else debit(account, gap))
    if fees:
        account = house_account(session, "card_fees", network.public_id, currency, network=network)
        legs.append(debit(account, Money(fees, currency)) if fees > 0 else credit(account, Money(-fees, currency)))
    if paid:
        bank = house_account(session, "bank", network.public_id, currency, network=network)
        legs.append(debit(bank, Money(paid, currency)) if paid > 0 else credit(bank, Money(-paid, currency)))
    total = fees + paid - adjusted
    if total:
        clearing = session.get(LedgerAccount, run.account_id)
        legs.append(credit(clearing, Money(total, currency)) if total > 0 else debit(clearing, Money(-total, currency)))
    if len(legs) < 2:
        return
    entry = post_entry(
        session,
        kind=PAYOUT_ENTRY_KIND,
        legs=legs,
        memo=f"Stripe payout {run.external_ref}: fees {fees}, adjustments {adjusted}, to bank {paid}",
        reference=run.public_id,
    )
    run.booked_entry_id = entry.id
    session.flush()


# --- how payouts arrive ------------------------------------------------------------------


# The app puts its settings in its database's session info (``api.py``), so the
# webhook handler, called with a session only, knows the card account's network.
SETTINGS_INFO = "borsellino.finance.settings"


def handle_payout_event(session: Session, provider: PaymentProvider, event: WebhookEvent) -> str | None:
    """``payout.paid`` events, verified and deduplicated by the top-ups' webhook handling."""
    if event.type != "payout.paid":
        return None
    payout_id = str(event.object.get("id") or "")
    settings = session.info.get(SETTINGS_INFO)
    if not payout_id.startswith("po_") or settings is None:
        return "ignored"
    try:
        run = ingest_payout(session, provider, settings, payout_id)
    except DomainError as refused:
        if refused.error is CARD_ACCOUNT_NETWORK_UNSET:
            # Not lost: the scheduled job picks the payout up once the network is configured.
            log.error("payout %s not reconciled: %s", payout_id, refused.error.code)
            return "payout_not_configured"
        raise
    return "payout_reconciled" if run is not None else "payout_not_paid"


topups.register_event_handler(handle_payout_event)


def reconcile_recent_payouts(
    database, provider: PaymentProvider, settings: Settings, *, days: int = 35, now: datetime | None = None
) -> dict[str, int]:
    """The scheduled safety net: every paid payout of the last ``days`` has a run; open runs re-run."""
    now = now or utcnow()
    counts = {"new": 0, "rerun": 0, "failed": 0}
    try:
        payouts = provider.recent_payouts(arrived_after=int((now - timedelta(days=days)).timestamp()))
    except PaymentError as exc:
        log.warning("listing payouts failed: %s", exc)
        return {"failed": 1}
    for payout in payouts:

        def one(session: Session, payout=payout) -> str:
            run = session.scalar(
                select(ReconciliationRun).where(
                    ReconciliationRun.source == Source.STRIPE, ReconciliationRun.external_ref == payout.id
                )
            )
            if run is not None and run.status == "reconciled":
                return "skip"
            existed = run is not None
            ingest_payout(session, provider, settings, payout.id, now=now)
            return "rerun" if existed else "new"

        try:
            outcome = database.run_in_transaction(one)
        except DomainError as refused:
            log.warning("payout %s not reconciled: %s", payout.id, refused.error.code)
            counts["failed"] += 1
            continue
        if outcome in counts:
            counts[outcome] += 1
    return counts
