"""The patron's wallet, read from the ledger: balance, transactions, one transaction.

Reading never creates anything: a patron who never had money has an empty
wallet, not a new ledger account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.errors import NOT_FOUND, DomainError
from backend.i18n import Text
from backend.ledger.models import JournalEntry, LedgerAccount, Posting
from backend.money import Money
from backend.receipts.services import receipts_of_entry
from backend.wallet import references


def find_wallet(session: Session, patron: Patron, currency: str = "EUR") -> LedgerAccount | None:
    return session.scalar(
        select(LedgerAccount).where(
            LedgerAccount.key == f"wallet:{patron.public_id}", LedgerAccount.currency == currency
        )
    )


@dataclass
class WalletBalance:
    balance: Money
    held: Money

    @property
    def available(self) -> Money:
        return self.balance - self.held


def balance_of(session: Session, patron: Patron, currency: str = "EUR") -> WalletBalance:
    wallet = find_wallet(session, patron, currency)
    if wallet is None:
        return WalletBalance(Money(0, currency), Money(0, currency))
    return WalletBalance(Money(wallet.balance, currency), Money(wallet.held, currency))


@dataclass
class WalletTransaction:
    """A journal entry as the patron sees it: how much came into or left the wallet."""

    entry: JournalEntry
    change: int  # > 0 into the wallet, < 0 out of it
    language: str
    paid_for: list[references.PaidItem] = field(default_factory=list)

    @property
    def public_id(self) -> str:
        return self.entry.public_id

    @property
    def amount(self) -> Money:
        return Money(abs(self.change), self.entry.currency)

    @property
    def direction(self) -> str:
        return "in" if self.change > 0 else "out"

    @property
    def title(self) -> str:
        return references.title_of(self.entry.kind, self.language)


def transactions_of(
    wallet: LedgerAccount | None,
    *,
    kind: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> Select:
    """Entries that touched the wallet (``created_to`` exclusive), for ``paginate``."""
    if wallet is None:
        return select(JournalEntry).where(false())
    stmt = select(JournalEntry).where(
        JournalEntry.id.in_(select(Posting.entry_id).where(Posting.account_id == wallet.id))
    )
    if kind:
        stmt = stmt.where(JournalEntry.kind == kind)
    if created_from:
        stmt = stmt.where(JournalEntry.created_at >= created_from)
    if created_to:
        stmt = stmt.where(JournalEntry.created_at < created_to)
    return stmt


def as_transactions(
    session: Session, wallet: LedgerAccount, entries: list[JournalEntry], language: str
) -> list[WalletTransaction]:
    if not entries:
        return []
    changes = dict(
        session.execute(
            select(Posting.entry_id, func.sum(Posting.amount))
            .where(Posting.account_id == wallet.id, Posting.entry_id.in_([e.id for e in entries]))
            .group_by(Posting.entry_id)
        ).all()
    )
    # Wallets are credit-normal: a credit posting (< 0) puts money in.
    return [WalletTransaction(e, -int(changes.get(e.id, 0)), language) for e in entries]


RECEIPT = Text(it="Ricevuta n. {number}", en="Receipt no. {number}")


def get_transaction(session: Session, patron: Patron, public_id: str, language: str) -> WalletTransaction:
    """One of the patron's transactions, with what it paid for; anyone else's is a 404."""
    wallet = find_wallet(session, patron)
    entry = session.scalar(select(JournalEntry).where(JournalEntry.public_id == public_id))
    if wallet is None or entry is None:
        raise DomainError(NOT_FOUND)
    [transaction] = as_transactions(session, wallet, [entry], language)
    if transaction.change == 0:
        raise DomainError(NOT_FOUND)
    transaction.paid_for = references.explain(session, patron, entry.reference, language) + [
        # A desk or card top-up's receipt, which the patron can fetch at /v1/wallet/receipts/{id}.
        references.PaidItem("receipt", receipt.public_id, RECEIPT.render(language, number=receipt.number))
        for receipt in receipts_of_entry(session, patron, entry.public_id)
    ]
    return transaction
