"""Refund of pagoPA-funded balance by bank transfer, approved by finance.

Money that came in through pagoPA goes back the way such money can: a bank
transfer from the network's treasury to an IBAN the patron gives (checked with
python-stdnum). It never goes to a card and is not paid out in cash.

Asked by the patron: in the request's transaction the wallet is debited, from
pagoPA lots only, to ``bank_refunds_payable`` (the network owes it to the
patron now), so the money cannot be spent twice. Finance then approves (the
transfer is ordered: payable → the pagoPA clearing account, where the
treasury's pagoPA money is booked) or rejects (the debit is reversed and the
same pagoPA lots are back in the wallet). Each decision is a guarded move of
``BANK_REFUND_TRANSITIONS``.

The IBAN is kept to make the transfer; it is shown masked and never logged.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from backend.accounts.models import Network, Patron
from backend.auth.principal import Principal
from backend.db import get_or_404, new_public_id, utcnow
from backend.errors import DomainError
from backend.ledger.models import JournalEntry
from backend.ledger.services import credit, debit, house_account, post_entry, reverse_entry, wallet_lots
from backend.money import Money
from backend.notify.services import notify
from backend.states import transition
from backend.topups.errors import (
    BANK_REFUND_DECIDED,
    INVALID_IBAN,
    NOT_REFUNDABLE_BY_TRANSFER,
    UNSUPPORTED_CURRENCY,
)
from backend.topups.models import BANK_REFUND_TRANSITIONS, BankRefund, BankRefundState
from backend.topups.services import _lock_wallet

log = logging.getLogger(__name__)

SOURCES = ("pagopa",)


def normalized_iban(value: str) -> str:
    """The IBAN in its compact form, or 400 ``invalid_iban``."""
    try:
        return stdnum_iban.validate(value)
    except ValidationError:
        raise DomainError(INVALID_IBAN, param="iban") from None


def masked(iban: str) -> str:
    """What is shown of an IBAN: country, check digits and the last four."""
    return f"{iban[:4]} •••• {iban[-4:]}"


def refundable_by_transfer(session: Session, patron: Patron, currency: str = "EUR") -> Money:
    wallet = _lock_wallet(session, patron, currency)
    in_lots = sum(lot.remaining for lot in wallet_lots(session, wallet, SOURCES))
    return Money(min(in_lots, wallet.available), currency)


def request_bank_refund(
    session: Session, patron: Patron, money: Money, *, iban: str, account_holder: str, actor: str
) -> BankRefund:
    if money.currency != "EUR":
        raise DomainError(UNSUPPORTED_CURRENCY, param="amount.currency", currency="EUR")
    compact = normalized_iban(iban)
    refundable = refundable_by_transfer(session, patron, money.currency)
    if money.amount > refundable.amount:
        raise DomainError(NOT_REFUNDABLE_BY_TRANSFER, param="amount.amount", refundable=refundable)
    network = patron.home_network
    wallet = _lock_wallet(session, patron, money.currency)
    payable = house_account(session, "bank_refunds_payable", network.public_id, money.currency, network=network)
    public_id = new_public_id(BankRefund.PUBLIC_ID_PREFIX)
    entry = post_entry(
        session,
        kind="bank_refund",
        legs=[debit(wallet, money), credit(payable, money)],
        memo="refund by bank transfer requested",
        reference=public_id,
        actor=actor,
        spend_from=SOURCES,
    )
    refund = BankRefund(
        public_id=public_id,
        patron_id=patron.id,
        network_id=network.id,
        amount=money.amount,
        currency=money.currency,
        status=BankRefundState.REQUESTED,
        iban=compact,
        account_holder=account_holder.strip()[:140],
        entry_id=entry.id,
    )
    session.add(refund)
    session.flush()
    log.info("bank refund %s requested for %s", refund.public_id, money.amount)
    return refund


def my_bank_refunds(patron: Patron):
    return select(BankRefund).where(BankRefund.patron_id == patron.id)


def network_of(session: Session, principal: Principal) -> Network:
    return get_or_404(session, Network, principal.network_id or "")


def refunds_of_network(session: Session, principal: Principal, status: str | None = None):
    stmt = select(BankRefund).where(BankRefund.network_id == network_of(session, principal).id)
    if status:
        stmt = stmt.where(BankRefund.status == status)
    return stmt


def decide_bank_refund(
    session: Session,
    principal: Principal,
    refund_id: str,
    *,
    approve: bool,
    note: str | None = None,
    now: datetime | None = None,
) -> BankRefund:
    """Finance approves (the transfer is ordered) or rejects (the money goes back to the wallet)."""
    now = now or utcnow()
    refund = get_or_404(session, BankRefund, refund_id, network_id=network_of(session, principal).id)
    target = BankRefundState.APPROVED if approve else BankRefundState.REJECTED
    moved = session.execute(
        transition(BankRefund, BANK_REFUND_TRANSITIONS, target, BankRefund.id == refund.id).values(
            decided_by=principal.subject, decided_at=now, note=(note or None) and note[:300], updated_at=now
        )
    ).rowcount
    session.refresh(refund)
    if moved != 1:
        raise DomainError(BANK_REFUND_DECIDED, state=refund.status)
    money = Money(refund.amount, refund.currency)
    original = session.get(JournalEntry, refund.entry_id)
    if approve:
        network = session.get(Network, refund.network_id)
        payable = house_account(session, "bank_refunds_payable", network.public_id, money.currency, network=network)
        clearing = house_account(session, "pagopa_clearing", network.public_id, money.currency, network=network)
        entry = post_entry(
            session,
            kind="bank_refund_paid",
            legs=[debit(payable, money), credit(clearing, money)],
            memo="refund by bank transfer ordered",
            reference=refund.public_id,
            actor=principal.subject,
        )
        notify(
            session,
            refund.patron,
            "refund_processed",
            amount=money,
            description=f"bonifico/transfer {masked(refund.iban)}",
        )
    else:
        entry = reverse_entry(session, original, memo="refund by bank transfer rejected", actor=principal.subject)
    refund.decision_entry_id = entry.id
    session.flush()
    return refund
