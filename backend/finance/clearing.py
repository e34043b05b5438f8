"""The monthly clearing between networks: positions at the month's end, netted transfers, paid transfers.

Every entry that crosses networks already carries the position (``backend.ledger.services.
between_networks`` puts it on each network's ``network_settlement`` account). A statement
reads those balances at the month's end (Europe/Rome), nets them into at most n − 1 bank
transfers (``backend.finance.netting``) and stores both. The paying network's finance marks a
transfer paid with its bank reference; that books one entry, per network balanced:

    payer:  debit network_settlement (it owes less)  / credit bank (the money left)
    payee:  debit bank (the money arrived)           / credit network_settlement (it is owed less)

Positions are cumulative, so a month's statement also carries what earlier statements left
unpaid: drawing it up marks those older transfers superseded, and nothing is paid twice.

Every network's finance sees every statement: positions between networks are all it shows
(no patron, no entry of another network).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.auth.principal import Principal
from backend.db import get_or_404, rows_changed, utcnow
from backend.errors import FORBIDDEN, NOT_FOUND, DomainError
from backend.finance import audit
from backend.finance.errors import PERIOD_NOT_ENDED, TRANSFER_NOT_DUE
from backend.finance.models import (
    TRANSFER_TRANSITIONS,
    ClearingPosition,
    ClearingStatement,
    ClearingTransfer,
    TransferState,
)
from backend.finance.netting import net_transfers
from backend.finance.periods import network_of, parse_month
from backend.ledger.models import LedgerAccount, Posting
from backend.ledger.periods import month_bounds
from backend.ledger.services import credit, debit, house_account, post_entry, settlement_account
from backend.money import Money
from backend.states import transition


def positions_at(session: Session, until: datetime, currency: str = "EUR") -> dict[int, int]:
    """Each network's position before ``until``: {network id: cents}, > 0 it owes the others."""
    rows = session.execute(
        select(LedgerAccount.network_id, func.sum(Posting.amount))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.kind == "network_settlement",
            LedgerAccount.currency == currency,
            Posting.created_at < until,
        )
        .group_by(LedgerAccount.network_id)
    ).all()
    # Credit-normal: a credit balance (negative sum) is what the network owes.
    return {int(network_id): -int(total) for network_id, total in rows if int(total) != 0}


def get_statement(session: Session, principal: Principal, month: str) -> ClearingStatement:
    network_of(session, principal)  # finance or admin of some network
    statement = session.scalar(select(ClearingStatement).where(ClearingStatement.month == parse_month(month)))
    if statement is None:
        raise DomainError(NOT_FOUND)
    return statement


def list_statements(session: Session, principal: Principal) -> list[ClearingStatement]:
    network_of(session, principal)
    return list(session.scalars(select(ClearingStatement).order_by(ClearingStatement.month.desc()).limit(36)))


def draw_up(
    session: Session, principal: Principal, month: str, *, currency: str = "EUR", now: datetime | None = None
) -> ClearingStatement:
    """The month's statement, drawn up on first request once the month has ended (the same one after)."""
    network_of(session, principal)
    month = parse_month(month)
    _, ends_at = month_bounds(month)
    now = now or utcnow()
    if ends_at > min(now, utcnow()):
        raise DomainError(PERIOD_NOT_ENDED, param="month", month=month)
    existing = session.scalar(select(ClearingStatement).where(ClearingStatement.month == month))
    if existing is not None:
        return existing
    positions = positions_at(session, ends_at, currency)
    statement = ClearingStatement(month=month, currency=currency, as_of=ends_at, created_by=principal.subject)
    try:
        with session.begin_nested():
            session.add(statement)
            session.flush()
    except IntegrityError:
        # Drawn up at the same moment by another network's finance: theirs is the statement.
        return session.scalars(select(ClearingStatement).where(ClearingStatement.month == month)).one()
    # What earlier statements left unpaid is inside these positions: it is settled here now.
    earlier = select(ClearingStatement.id).where(ClearingStatement.month < month)
    session.execute(
        transition(
            ClearingTransfer,
            TRANSFER_TRANSITIONS,
            TransferState.SUPERSEDED,
            ClearingTransfer.statement_id.in_(earlier),
            column="state",
        )
    )
    session.add_all(
        ClearingPosition(statement_id=statement.id, network_id=network_id, amount=amount)
        for network_id, amount in sorted(positions.items())
    )
    session.add_all(
        ClearingTransfer(
            statement_id=statement.id,
            payer_network_id=t.payer,
            payee_network_id=t.payee,
            amount=t.amount,
            currency=currency,
            state=TransferState.DUE,
            created_at=now,
        )
        for t in net_transfers(positions)
    )
    session.flush()
    session.expire(statement, ["positions", "transfers"])
    return statement


def mark_paid(
    session: Session, principal: Principal, transfer_id: str, *, bank_reference: str, now: datetime | None = None
) -> ClearingTransfer:
    """The paying network's finance (or admin) says the bank transfer left: booked in the ledger once."""
    network = network_of(session, principal)
    transfer = get_or_404(session, ClearingTransfer, transfer_id)
    if transfer.payer_network_id != network.id:
        # The payee sees the transfer but only the payer says it has paid it.
        raise DomainError(FORBIDDEN if transfer.payee_network_id == network.id else NOT_FOUND)
    if transfer.state != TransferState.DUE:
        raise DomainError(TRANSFER_NOT_DUE, state=transfer.state)
    now = now or utcnow()
    payer, payee = transfer.payer, transfer.payee
    money = Money(transfer.amount, transfer.currency)
    statement = session.get(ClearingStatement, transfer.statement_id)
    assert statement is not None
    entry = post_entry(
        session,
        kind="network_settlement",
        legs=[
            debit(settlement_account(session, payer, transfer.currency), money),
            credit(_bank(session, payer, transfer.currency), money),
            debit(_bank(session, payee, transfer.currency), money),
            credit(settlement_account(session, payee, transfer.currency), money),
        ],
        memo=f"clearing {statement.month}: {payer.code} → {payee.code}, {bank_reference}"[:300],
        reference=transfer.public_id,
        actor=principal.subject,
    )
    changed = rows_changed(
        session,
        transition(
            ClearingTransfer,
            TRANSFER_TRANSITIONS,
            TransferState.PAID,
            ClearingTransfer.id == transfer.id,
            column="state",
        ).values(paid_at=now, paid_by=principal.subject, bank_reference=bank_reference, entry_id=entry.id),
    )
    if changed != 1:
        # Marked paid at the same moment by a colleague: this request's entry rolls back with it.
        raise DomainError(TRANSFER_NOT_DUE, state=TransferState.PAID)
    session.expire(transfer)
    audit.record(
        session,
        "clearing.paid",
        target=transfer.public_id,
        before={"state": TransferState.DUE},
        after={"state": TransferState.PAID, "bank_reference": bank_reference, "entry": entry.public_id},
        principal=principal,
        now=now,
    )
    return transfer


def _bank(session: Session, network: Network, currency: str) -> LedgerAccount:
    return house_account(session, "bank", network.public_id, currency, network=network)
