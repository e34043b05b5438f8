"""pagoPA reporting flows as reconciliation runs.

A PSP's reporting flow (flusso di rendicontazione) lists the payments one bank
transfer to the network's treasury settled, by IUV. Each flow becomes one run
of the engine in ``services`` (source ``pagopa``, keyed by the flow's id, so
ingesting it again changes nothing), its payments the statement's lines keyed
by IUV. Our side is every pagoPA top-up credited from a receipt of that PSP for
that network (the ``topup_pagopa`` entries on the network's pagoPA clearing
account). The engine pairs them by IUV and amount; a line with no receipt of
ours is ``unexpected``; a receipt of that PSP paid on or before the last day
the flow covers that no flow carries is ``missing_external``.

Revoked payments (outcome 3) are lines of money going back, which nothing of
ours explains: they are left to finance as unexpected.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.auth.principal import Principal
from backend.config import Settings
from backend.errors import DomainError
from backend.finance.reconciliation import services
from backend.finance.reconciliation.errors import INVALID_REPORTING_FLOW, UNKNOWN_CREDITOR
from backend.finance.reconciliation.models import LineKind, ReconciliationRun, Source
from backend.finance.reconciliation.services import OurMovement, StatementEntry
from backend.ledger.models import JournalEntry
from backend.ledger.services import house_account
from backend.topups.models import PagopaNotice, Topup
from payments.pagopa import ROME
from payments.pagopa_reporting import PAID, InvalidFlow, ReportingFlow, parse_reporting_flow

ENTRY_KIND = "topup_pagopa"


def psp_of(flow_id: str) -> str:
    """A flow's id is ``<YYYY-MM-DD><idPSP>-<n>``: the PSP that sent it."""
    return flow_id[10:].rsplit("-", 1)[0]


def candidates(session: Session, run: ReconciliationRun) -> list[OurMovement]:
    """Receipts of the flow's PSP for the run's network that no match has consumed yet."""
    consumed = services.consumed_refs(session, Source.PAGOPA, "ours")
    rows = session.execute(
        select(JournalEntry.public_id, Topup.public_id, PagopaNotice.iuv, Topup.amount, PagopaNotice.paid_at)
        .join(Topup, Topup.entry_id == JournalEntry.id)
        .join(PagopaNotice, PagopaNotice.topup_id == Topup.id)
        .where(
            JournalEntry.kind == ENTRY_KIND,
            PagopaNotice.network_id == run.network_id,
            PagopaNotice.psp_id == psp_of(run.external_ref),
        )
        .order_by(JournalEntry.id)
    ).all()
    return [
        OurMovement(
            ref=entry_id,
            label=topup_id,
            kind=LineKind.PAYMENT,
            match_key=iuv,
            amount=amount,
            occurred_at=paid_at,
            network_id=run.network_id,
        )
        for entry_id, topup_id, iuv, amount, paid_at in rows
        if entry_id not in consumed
    ]


services.register_source(Source.PAGOPA, candidates)


def _network_of_creditor(session: Session, settings: Settings, fiscal_code: str) -> Network | None:
    for network in session.scalars(select(Network).order_by(Network.id)):
        creditor = settings.pagopa_creditor(network.code)
        if creditor is not None and creditor.fiscal_code == fiscal_code:
            return network
    return None


def _day_end(day) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=ROME)


def _lines(flow: ReportingFlow) -> list[StatementEntry]:
    return [
        StatementEntry(
            external_id=f"{p.iuv}/{p.receipt_id}/{p.index}",
            kind=LineKind.PAYMENT if p.outcome in PAID else LineKind.REFUND,
            amount=p.amount if p.outcome in PAID else -p.amount,
            fee=0,
            match_key=p.iuv,
            occurred_at=datetime.combine(p.paid_on, time(12), tzinfo=ROME),
            description=f"IUV {p.iuv} esito {p.outcome}",
        )
        for p in flow.payments
    ]


def ingest_flow(
    session: Session, settings: Settings, principal: Principal, document: bytes, *, now: datetime | None = None
) -> ReconciliationRun:
    """One flow's run, created once and reconciled (again) now."""
    try:
        flow = parse_reporting_flow(document)
    except InvalidFlow as exc:
        raise DomainError(INVALID_REPORTING_FLOW, reason=str(exc)[:200]) from None
    network = _network_of_creditor(session, settings, flow.creditor_fiscal_code)
    if network is None or network.public_id != principal.network_id:
        raise DomainError(UNKNOWN_CREDITOR, fiscal_code=flow.creditor_fiscal_code)
    account = house_account(session, "pagopa_clearing", network.public_id, settings.currency, network=network)
    covered = max((p.paid_on for p in flow.payments), default=flow.settlement_date - timedelta(days=1))
    run, _ = services.record_statement(
        session,
        source=Source.PAGOPA,
        external_ref=flow.flow_id,
        network=network,
        account=account,
        amount=flow.total_amount,
        statement_date=flow.settlement_date,
        lines=_lines(flow),
        cutoff_at=_day_end(covered),
    )
    services.reconcile(session, run, tolerance=settings.reconciliation_tolerance, now=now)
    return run
