"""Issue receipts (numbered in the money's own transaction) and find them."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network, Patron
from backend.db import dialect_insert, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.events.times import in_rome
from backend.ledger.models import JournalEntry
from backend.money import Money
from backend.receipts.models import Receipt, ReceiptCounter


def library_series(library: Library) -> str:
    return library.code.upper()


def app_series(network: Network) -> str:
    return f"APP-{network.code.upper()}"


def next_number(session: Session, series: str, year: int) -> int:
    """The next number of the series; the counter row lock orders concurrent issuers."""
    insert = dialect_insert(session)
    session.execute(
        insert(ReceiptCounter)
        .values(series=series, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    return session.execute(
        update(ReceiptCounter)
        .where(ReceiptCounter.series == series, ReceiptCounter.year == year)
        .values(last_number=ReceiptCounter.last_number + 1)
        .returning(ReceiptCounter.last_number)
    ).scalar_one()


def issue_receipt(
    session: Session,
    *,
    kind: str,
    patron: Patron,
    series: str,
    network: Network,
    issuer_name: str,
    operator_name: str,
    amount: Money,
    balance_after: Money,
    method: str,
    reference: str,
    entry: JournalEntry,
    library: Library | None = None,
) -> Receipt:
    now = utcnow()
    # The series year is the one of the receipt's date, in Europe/Rome (as printed on it):
    # 23:30 UTC on 31 December is already 1 January there, and the receipt joins the new year's series.
    year = in_rome(now).year
    sequence = next_number(session, series, year)
    receipt = Receipt(
        series=series,
        year=year,
        sequence=sequence,
        number=f"{series}-{year}-{sequence:06d}",
        kind=kind,
        patron_id=patron.id,
        library_id=library.id if library else None,
        network_id=network.id,
        issuer_name=issuer_name,
        operator_name=operator_name,
        patron_name=patron.display_name,
        card_number=patron.card_number,
        amount=amount.amount,
        currency=amount.currency,
        balance_after=balance_after.amount,
        method=method,
        reference=reference,
        entry_public_id=entry.public_id,
        created_at=now,
    )
    session.add(receipt)
    session.flush()
    return receipt


def receipt_for(session: Session, reference: str) -> Receipt | None:
    return session.scalar(select(Receipt).where(Receipt.reference == reference).order_by(Receipt.id))


def find_receipt(session: Session, public_id: str) -> Receipt | None:
    return session.scalar(select(Receipt).where(Receipt.public_id == public_id))


def receipt_of_patron(session: Session, patron: Patron, public_id: str) -> Receipt:
    """One of the patron's own receipts (cash top-up or payout at a desk, card top-up); anyone else's is 404."""
    receipt = session.scalar(select(Receipt).where(Receipt.public_id == public_id, Receipt.patron_id == patron.id))
    if receipt is None:
        raise DomainError(NOT_FOUND)
    return receipt


def receipts_of_entry(session: Session, patron: Patron, entry_public_id: str) -> list[Receipt]:
    """The patron's receipts for one ledger entry (a wallet transaction)."""
    return list(
        session.scalars(
            select(Receipt)
            .where(Receipt.entry_public_id == entry_public_id, Receipt.patron_id == patron.id)
            .order_by(Receipt.id)
        )
    )
