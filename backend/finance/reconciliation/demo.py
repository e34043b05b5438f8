"""Demo reconciliation: a payout of the demo's card top-ups, as Stripe would list it.

The sandbox pays nothing out, so the demo's payout is written here: five of the
six +Teca supporters' card top-ups with their fees, a charge that is not ours
and Stripe's own fee; the sixth top-up is in no payout. Finance sees one run
with two exceptions to resolve (``/console/reconciliation``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.db import utcnow
from backend.finance.reconciliation import services, stripe_payouts
from backend.finance.reconciliation.models import LineKind, ReconciliationRun, Source
from backend.finance.reconciliation.services import StatementEntry
from backend.ledger.models import FundingLot, JournalEntry

DEMO_PAYOUT = "po_demo_csbno_november"


def seed_reconciliation(session, ctx) -> None:
    if ctx.network is None or session.scalar(
        select(ReconciliationRun.id).where(ReconciliationRun.external_ref == DEMO_PAYOUT)
    ):
        return
    refs = session.scalars(
        select(FundingLot.provider_ref)
        .join(JournalEntry, JournalEntry.id == FundingLot.entry_id)
        .where(FundingLot.provider_ref.like("pi_sbx_demo_teca_%"))
        .order_by(FundingLot.id)
    ).all()
    if len(refs) < 2:
        return
    # The lines are an hour after the bookings, as a real payout carries lines up to days before it.
    at = utcnow() + timedelta(hours=1)
    lines = [
        StatementEntry(f"txn_demo_{n}", LineKind.PAYMENT, 60_000, 60_000 * 15 // 1000 + 25, ref, at, "Ricarica +Teca")
        for n, ref in enumerate(refs[:-1])
    ]
    lines.append(StatementEntry("txn_demo_unknown", LineKind.PAYMENT, 1_200, 43, "pi_sbx_demo_unknown", at, "?"))
    lines.append(StatementEntry("txn_demo_radar", LineKind.FEE, -200, 0, None, at, "Radar"))
    account = stripe_payouts.clearing_account(session, "sandbox", "EUR")
    net = sum(line.amount - line.fee for line in lines)
    run, new = services.record_statement(
        session,
        source=Source.STRIPE,
        external_ref=DEMO_PAYOUT,
        network=ctx.network,
        account=account,
        amount=net,
        statement_date=at.date(),
        lines=lines,
        cutoff_at=at,
    )
    if new:
        stripe_payouts.book_payout(session, run, ctx.network)
    services.reconcile(session, run)
    ctx.logins.append(
        "reconcile  a card payout with 2 exceptions (one missing, one not ours): /console/reconciliation as finance"
    )
