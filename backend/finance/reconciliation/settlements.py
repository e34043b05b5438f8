"""Monthly partner settlements: what a network owes each partner, approved, then paid by transfer.

The month's movements on the network's payable to the partner (Europe/Rome
month) make the settlement: offer reimbursements booked within the agreement's
budget cap (``partners.redeem``), wallet payments at the partner's till, less
the till refunds, less the network's commission on till payments
(``BORSELLINO_PARTNER_COMMISSION_BP``, basis points), less what an earlier month
carried forward. A month whose refunds exceed what it owes transfers nothing and
carries the difference to the partner's next settlement, which nets it (the payable
keeps the partner's debt meanwhile, so the ledger needs no entry for the carry). A draft is recomputed on
demand; finance approves it, then marks it paid with the bank transfer's
reference, which books::

    partner payable    debit   what the month added to it
    bank               credit  the transfer
    commission income  credit  the network's commission

    draft ──approve──▶ approved ──paid (transfer reference)──▶ paid
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Network, Partner
from backend.auth.principal import Principal
from backend.db import dialect_insert, get_or_404, new_public_id, utcnow
from backend.errors import DomainError
from backend.finance import audit
from backend.finance.reconciliation.errors import (
    MONTH_NOT_ENDED,
    SETTLEMENT_NOT_APPROVED,
    SETTLEMENT_NOT_DRAFT,
    SETTLEMENT_OUT_OF_ORDER,
)
from backend.finance.reconciliation.models import SETTLEMENT_TRANSITIONS, PartnerSettlement, SettlementState
from backend.ledger.models import JournalEntry, LedgerAccount, Posting
from backend.ledger.services import credit, debit, house_account, post_entry
from backend.money import Money
from backend.states import transition
from backend.wallet.statement import month_bounds

# Ledger entry kind on the payable -> the settlement's column (postings are credits < 0 there).
_COLUMNS = {
    "partner_reimbursement": "reimbursements",
    "partner_till_payment": "till_payments",
    "partner_till_refund": "refunds",
}


def _network(session: Session, principal: Principal) -> Network:
    return get_or_404(session, Network, principal.network_id or "")


def _bounds(month: str, now: datetime) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start, end = month_bounds(year, number)
    if end > now:
        raise DomainError(MONTH_NOT_ENDED, param="month", month=month)
    return start, end


def compute_month(
    session: Session, principal: Principal, month: str, *, commission_bp: int = 0, now: datetime | None = None
) -> list[PartnerSettlement]:
    """Draft settlements of the month for every partner the network owes; approved and paid ones stay."""
    now = now or utcnow()
    network = _network(session, principal)
    start, end = _bounds(month, now)
    prefix = f"partner_payable:{network.public_id}:"
    rows = session.execute(
        select(LedgerAccount.key, LedgerAccount.currency, JournalEntry.kind, func.sum(Posting.amount))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            LedgerAccount.kind == "partner_payable",
            LedgerAccount.key.like(f"{prefix}%"),
            Posting.created_at >= start,
            Posting.created_at < end,
            JournalEntry.kind.in_(list(_COLUMNS)),
        )
        .group_by(LedgerAccount.key, LedgerAccount.currency, JournalEntry.kind)
    ).all()
    sums: dict[tuple[str, str], dict[str, int]] = {}
    for key, currency, kind, total in rows:
        column = _COLUMNS[kind]
        # Reimbursements and payments are credits (< 0) to the payable, refunds debits (> 0).
        sums.setdefault((key.removeprefix(prefix), currency), {})[column] = abs(int(total))
    partners = {
        p.public_id: p
        for p in session.scalars(select(Partner).where(Partner.public_id.in_([pid for pid, _ in sums]))).all()
    }
    earlier = _latest_earlier(session, network, month)
    for (partner_id, currency), source in earlier.items():
        if source.carried_forward > 0 and (partner := session.get(Partner, partner_id)) is not None:
            partners.setdefault(partner.public_id, partner)
            sums.setdefault((partner.public_id, currency), {})
    for (partner_id, currency), values in sums.items():
        partner = partners.get(partner_id)
        if partner is None:
            continue
        this = session.scalar(
            select(PartnerSettlement).where(
                PartnerSettlement.network_id == network.id,
                PartnerSettlement.partner_id == partner.id,
                PartnerSettlement.month == month,
            )
        )
        if this is not None and this.status != SettlementState.DRAFT:
            continue  # approved and paid ones stay as they are
        reimbursements, till, refunds = (values.get(c, 0) for c in ("reimbursements", "till_payments", "refunds"))
        commission = max(0, (till - refunds) * commission_bp // 10_000)
        source = earlier.get((partner.id, currency))
        carried_in = source.carried_forward if source is not None else 0
        net = reimbursements + till - refunds - commission - carried_in
        amounts = dict(
            reimbursements=reimbursements,
            till_payments=till,
            refunds=refunds,
            commission=commission,
            carried_in=carried_in,
            carried_forward=max(-net, 0),
            carried_from_id=source.id if carried_in else None,
            total=max(net, 0),
            updated_at=now,
        )
        _check_in_order(session, network, partner, currency, month, this, source, amounts["carried_forward"])
        session.execute(
            dialect_insert(session)(PartnerSettlement)
            .values(
                public_id=new_public_id(PartnerSettlement.PUBLIC_ID_PREFIX),
                network_id=network.id,
                partner_id=partner.id,
                month=month,
                currency=currency,
                status=SettlementState.DRAFT,
                created_at=now,
                **amounts,
            )
            .on_conflict_do_update(
                index_elements=["network_id", "partner_id", "month"],
                set_=amounts,
                where=PartnerSettlement.status == SettlementState.DRAFT,
            )
        )
    session.expire_all()
    return list_month(session, principal, month)


def _latest_earlier(session: Session, network: Network, month: str) -> dict[tuple[int, str], PartnerSettlement]:
    """Each partner's latest settlement before ``month``: what it carries forward is netted now."""
    latest = (
        select(PartnerSettlement.partner_id, PartnerSettlement.currency, func.max(PartnerSettlement.month).label("m"))
        .where(PartnerSettlement.network_id == network.id, PartnerSettlement.month < month)
        .group_by(PartnerSettlement.partner_id, PartnerSettlement.currency)
        .subquery()
    )
    rows = session.scalars(
        select(PartnerSettlement)
        .join(
            latest,
            (PartnerSettlement.partner_id == latest.c.partner_id)
            & (PartnerSettlement.currency == latest.c.currency)
            & (PartnerSettlement.month == latest.c.m),
        )
        .where(PartnerSettlement.network_id == network.id)
    )
    return {(s.partner_id, s.currency): s for s in rows}


def _check_in_order(
    session: Session,
    network: Network,
    partner: Partner,
    currency: str,
    month: str,
    this: PartnerSettlement | None,
    source: PartnerSettlement | None,
    carried_forward: int,
) -> None:
    """A carry is netted once and never lost: computing a month out of order would do one or the other."""
    if source is not None and source.carried_forward > 0:
        taker = session.scalar(select(PartnerSettlement).where(PartnerSettlement.carried_from_id == source.id))
        if taker is not None and taker.month != month:
            raise DomainError(SETTLEMENT_OUT_OF_ORDER, param="month", partner=partner.name, month=taker.month)
    later = session.scalar(
        select(PartnerSettlement)
        .where(
            PartnerSettlement.network_id == network.id,
            PartnerSettlement.partner_id == partner.id,
            PartnerSettlement.currency == currency,
            PartnerSettlement.month > month,
        )
        .order_by(PartnerSettlement.month)
        .limit(1)
    )
    if later is None:
        return
    taken = later.carried_in if this is not None and later.carried_from_id == this.id else 0
    if carried_forward != taken:
        raise DomainError(SETTLEMENT_OUT_OF_ORDER, param="month", partner=partner.name, month=later.month)


def list_month(session: Session, principal: Principal, month: str | None = None) -> list[PartnerSettlement]:
    stmt = select(PartnerSettlement).where(PartnerSettlement.network_id == _network(session, principal).id)
    if month:
        stmt = stmt.where(PartnerSettlement.month == month)
    return list(session.scalars(stmt.order_by(PartnerSettlement.month.desc(), PartnerSettlement.id)))


def settlement_in_scope(session: Session, principal: Principal, settlement_id: str) -> PartnerSettlement:
    return get_or_404(session, PartnerSettlement, settlement_id, network_id=_network(session, principal).id)


def approve(
    session: Session, principal: Principal, settlement_id: str, *, now: datetime | None = None
) -> PartnerSettlement:
    settlement = settlement_in_scope(session, principal, settlement_id)
    moved = session.execute(
        transition(
            PartnerSettlement,
            SETTLEMENT_TRANSITIONS,
            SettlementState.APPROVED,
            PartnerSettlement.id == settlement.id,
        ).values(approved_by=principal.subject, approved_at=now or utcnow(), updated_at=now or utcnow())
    ).rowcount
    if moved != 1:
        raise DomainError(SETTLEMENT_NOT_DRAFT, status=settlement.status)
    session.refresh(settlement)
    audit.record(
        session,
        "partner_settlement.approved",
        target=settlement.public_id,
        before={"status": SettlementState.DRAFT.value},
        after={"status": SettlementState.APPROVED.value, "total": settlement.total, "month": settlement.month},
        principal=principal,
    )
    return settlement


def mark_paid(
    session: Session, principal: Principal, settlement_id: str, transfer_reference: str, *, now: datetime | None = None
) -> PartnerSettlement:
    """The bank transfer went out: the month's payable is settled in the ledger, once."""
    now = now or utcnow()
    settlement = settlement_in_scope(session, principal, settlement_id)
    moved = session.execute(
        transition(
            PartnerSettlement, SETTLEMENT_TRANSITIONS, SettlementState.PAID, PartnerSettlement.id == settlement.id
        ).values(paid_by=principal.subject, paid_at=now, transfer_reference=transfer_reference.strip(), updated_at=now)
    ).rowcount
    if moved != 1:
        raise DomainError(SETTLEMENT_NOT_APPROVED, status=settlement.status)
    session.refresh(settlement)
    audit.record(
        session,
        "partner_settlement.paid",
        target=settlement.public_id,
        before={"status": SettlementState.APPROVED.value},
        after={"status": SettlementState.PAID.value, "transfer_reference": settlement.transfer_reference},
        principal=principal,
        now=now,
    )
    network, partner, cur = session.get(Network, settlement.network_id), settlement.partner, settlement.currency
    owed = settlement.total + settlement.commission
    if owed > 0:
        payable = house_account(
            session, "partner_payable", f"{network.public_id}:{partner.public_id}", cur, network=network
        )
        legs = [debit(payable, Money(owed, cur))]
        if settlement.total:
            legs.append(
                credit(
                    house_account(session, "bank", network.public_id, cur, network=network),
                    Money(settlement.total, cur),
                )
            )
        if settlement.commission:
            commission = house_account(session, "commission_income", network.public_id, cur, network=network)
            legs.append(credit(commission, Money(settlement.commission, cur)))
        entry = post_entry(
            session,
            kind="partner_settlement",
            legs=legs,
            memo=(
                f"settlement {settlement.month} to {partner.name}: transfer {settlement.transfer_reference}"
                + (
                    f", net of {settlement.carried_in} carried from {settlement.carried_from.month}"
                    if settlement.carried_from
                    else ""
                )
            )[:300],
            reference=settlement.public_id,
            actor=principal.subject,
        )
        settlement.entry_id = entry.id
        session.flush()
    return settlement
