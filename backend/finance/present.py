"""Finance objects as the API and the exports show them (plain dicts; money as ``Money``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.accounts.models import Network
from backend.finance.exports import machine_value
from backend.finance.models import ClearingStatement, ClearingTransfer, TransferState
from backend.finance.periods import stored_balance
from backend.finance.reports import ShownBalance, Table, shown_balances
from backend.ledger.models import ClosedPeriod, JournalEntry
from backend.money import Money


def balance_line(line: ShownBalance, currency: str = "EUR") -> dict[str, Any]:
    """A trial-balance line: the signed amount split into a debit and a credit column."""
    return {
        "account_id": line.account.public_id if line.account else None,
        "kind": line.kind,
        "key": line.key,
        "debit": Money(max(line.amount, 0), currency),
        "credit": Money(max(-line.amount, 0), currency),
    }


def present_period(period: ClosedPeriod) -> dict[str, Any]:
    return {
        "public_id": period.public_id,
        "network_id": period.network.public_id,
        "month": period.month,
        "state": period.state,
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "closed_at": period.created_at,
        "closed_by": period.closed_by,
        "reopened_at": period.reopened_at,
        "reopened_by": period.reopened_by,
        "reopen_reason": period.reopen_reason,
    }


def present_period_detail(session: Session, period: ClosedPeriod, currency: str = "EUR") -> dict[str, Any]:
    # Stored per account; shown as the report is, the patrons' accounts summed per kind.
    lines = [balance_line(b, currency) for b in shown_balances(stored_balance(session, period))]
    out = present_period(period)
    out["trial_balance"] = lines
    out["total_debit"] = Money(sum(line["debit"].amount for line in lines), currency)
    out["total_credit"] = Money(sum(line["credit"].amount for line in lines), currency)
    return out


def network_ref(network: Network) -> dict[str, Any]:
    return {"id": network.public_id, "code": network.code, "name": network.name}


def present_transfer(session: Session, transfer: ClearingTransfer) -> dict[str, Any]:
    statement = session.get(ClearingStatement, transfer.statement_id)
    entry = session.get(JournalEntry, transfer.entry_id) if transfer.entry_id else None
    return {
        "public_id": transfer.public_id,
        "month": statement.month if statement else None,
        "payer": network_ref(transfer.payer),
        "payee": network_ref(transfer.payee),
        "amount": Money(transfer.amount, transfer.currency),
        "state": transfer.state,
        "paid_at": transfer.paid_at,
        "paid_by": transfer.paid_by,
        "bank_reference": transfer.bank_reference,
        "entry_id": entry.public_id if entry else None,
    }


def present_statement_summary(statement: ClearingStatement) -> dict[str, Any]:
    return {
        "public_id": statement.public_id,
        "month": statement.month,
        "as_of": statement.as_of,
        "created_at": statement.created_at,
        "transfers_due": sum(1 for t in statement.transfers if t.state == TransferState.DUE),
    }


def present_statement(session: Session, statement: ClearingStatement, network: Network) -> dict[str, Any]:
    out = present_statement_summary(statement)
    out["positions"] = [
        {"network": network_ref(p.network), "position": Money(p.amount, statement.currency)}
        for p in statement.positions
    ]
    out["transfers"] = [present_transfer(session, t) for t in statement.transfers]
    mine = next((p.amount for p in statement.positions if p.network_id == network.id), 0)
    out["my_position"] = Money(mine, statement.currency)
    return out


def present_report(table: Table, month: str, language: str) -> dict[str, Any]:
    return {
        "name": table.name,
        "title": table.title.render(language),
        "month": month,
        "currency": table.currency,
        "columns": [{"name": c.name, "label": c.label.render(language), "type": c.type} for c in table.columns],
        "rows": [[machine_value(c.type, v) for c, v in zip(table.columns, row)] for row in table.rows],
    }
