"""Paying at a partner's till with the wallet (per partner, off by default).

The till scans the pass and asks for an amount; the patron gets a confirmation
request (inbox at once, push through the outbox) and has 2 minutes to confirm in the
app (``backend.confirmations``). Confirming moves the money in the same transaction:
one ledger entry from the wallet to what the patron's network owes the partner
(``partner_payable``), through the guarded wallet debit (insufficient funds: 422, and
the request stays open so the patron can top up and confirm again before it expires).
The partner may refund a payment within 30 days: the money goes back to the same
funding lots.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.accounts.models import Partner, Patron
from backend.config import Settings
from backend.confirmations.models import Confirmation
from backend.confirmations.services import register_handler, request_confirmation
from backend.db import get_or_404, utcnow
from backend.errors import DomainError
from backend.i18n import Text
from backend.ledger.models import JournalEntry
from backend.ledger.services import House, credit, debit, post_entry, wallet_and_house_accounts
from backend.money import Money
from backend.notify.services import notify
from backend.partners import errors as e
from backend.partners.models import TILL_PAYMENT_TRANSITIONS, PassState, TillPayment, TillPaymentState
from backend.partners.passes import read_code
from backend.partners.scope import TillScope
from backend.wallet import references

PURPOSE = "partners.till_payment"
CONFIRM_WITHIN = timedelta(minutes=2)
REFUND_WINDOW = timedelta(days=30)


def _payable(partner: Partner) -> House:
    # The partner's network owes the partner (its settlement pays it), whoever's patron paid:
    # a patron of another network leaves the liability with the home network's wallet and the
    # ledger books the position between the two.
    network = partner.network
    return House("partner_payable", f"{network.public_id}:{partner.public_id}", network=network)


def ask(
    session: Session,
    settings: Settings,
    scope: TillScope,
    *,
    code: str,
    venue_id: str,
    amount: Money,
    description: str = "",
    now: datetime | None = None,
) -> TillPayment:
    now = now or utcnow()
    partner = scope.partner
    if not partner.wallet_payments:
        raise DomainError(e.WALLET_PAYMENTS_OFF)
    venue = scope.venue_by_id(session, venue_id)
    pass_, _ = read_code(session, settings, code, now)
    if pass_.state != PassState.ACTIVE:
        raise DomainError(e.PASS_REVOKED, param="code")
    patron = pass_.patron
    payment = TillPayment(
        partner_id=partner.id,
        venue_id=venue.id,
        patron_id=patron.id,
        staff_user_id=scope.staff.id,
        amount=amount.amount,
        currency=amount.currency,
        description=description[:200],
        state=TillPaymentState.PENDING,
        expires_at=now + CONFIRM_WITHIN,
        created_at=now,
    )
    confirmation = request_confirmation(
        session,
        patron,
        purpose=PURPOSE,
        reference=payment.public_id,
        requester=venue.name,
        description=description or partner.name,
        amount=amount,
        ttl=CONFIRM_WITHIN,
        now=now,
    )
    payment.confirmation_id = confirmation.id
    session.add(payment)
    session.flush()
    return payment


def _move(session: Session, payment: TillPayment, target: TillPaymentState, **values) -> bool:
    moved = (
        session.execute(
            update(TillPayment)
            .where(TillPayment.id == payment.id, TillPayment.state.in_(TILL_PAYMENT_TRANSITIONS.sources_of(target)))
            .values(state=target, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    session.refresh(payment)
    return moved


def _payment_of(session: Session, confirmation: Confirmation) -> TillPayment:
    return session.scalars(select(TillPayment).where(TillPayment.confirmation_id == confirmation.id)).one()


def _pay(session: Session, confirmation: Confirmation) -> None:
    payment = _payment_of(session, confirmation)
    now = utcnow()
    if not _move(session, payment, TillPaymentState.PAID, paid_at=now):
        TILL_PAYMENT_TRANSITIONS.check(TillPaymentState(payment.state), TillPaymentState.PAID)
    patron = payment.patron
    partner = session.get(Partner, payment.partner_id)
    wallet, (payable,) = wallet_and_house_accounts(session, patron, [_payable(partner)], payment.currency)
    money = Money(payment.amount, payment.currency)
    entry = post_entry(
        session,
        kind="partner_till_payment",
        legs=[debit(wallet, money), credit(payable, money)],
        memo=f"{payment.venue.name}",
        reference=payment.public_id,
        actor=patron.public_id,
    )
    payment.entry_id = entry.id
    session.flush()


def _declined(session: Session, confirmation: Confirmation) -> None:
    _move(session, _payment_of(session, confirmation), TillPaymentState.DECLINED)


def _expired(session: Session, confirmation: Confirmation) -> None:
    _move(session, _payment_of(session, confirmation), TillPaymentState.EXPIRED)


register_handler(PURPOSE, on_confirmed=_pay, on_declined=_declined, on_expired=_expired)


def own_payment(session: Session, scope: TillScope, payment_id: str) -> TillPayment:
    return get_or_404(session, TillPayment, payment_id, param="payment_id", partner_id=scope.partner.id)


def refund(session: Session, scope: TillScope, payment_id: str, now: datetime | None = None) -> TillPayment:
    now = now or utcnow()
    payment = own_payment(session, scope, payment_id)
    if payment.state == TillPaymentState.PAID and now - payment.paid_at > REFUND_WINDOW:
        raise DomainError(e.REFUND_WINDOW_CLOSED)
    if not _move(session, payment, TillPaymentState.REFUNDED, refunded_at=now):
        TILL_PAYMENT_TRANSITIONS.check(TillPaymentState(payment.state), TillPaymentState.REFUNDED, state=payment.state)
    patron = payment.patron
    wallet, (payable,) = wallet_and_house_accounts(session, patron, [_payable(scope.partner)], payment.currency)
    money = Money(payment.amount, payment.currency)
    entry = post_entry(
        session,
        kind="partner_till_refund",
        legs=[debit(payable, money), credit(wallet, money)],
        memo=f"refund {payment.public_id}",
        reference=payment.public_id,
        actor=scope.staff.public_id,
        refunds=session.get(JournalEntry, payment.entry_id),
    )
    payment.refund_entry_id = entry.id
    notify(session, patron, "refund_processed", amount=money, description=payment.venue.name)
    session.flush()
    return payment


def _explain(session: Session, patron: Patron, public_id: str, language: str) -> list[references.PaidItem]:
    payment = session.scalar(
        select(TillPayment).where(TillPayment.public_id == public_id, TillPayment.patron_id == patron.id)
    )
    if payment is None:
        return []
    return [
        references.PaidItem(
            "partner_till_payment", payment.public_id, f"{payment.venue.name}: {payment.description}".rstrip(": ")
        )
    ]


references.register(TillPayment.PUBLIC_ID_PREFIX, _explain)
references.register_title("partner_till_payment", Text(it="Pagamento presso partner", en="Payment at a partner"))
references.register_title("partner_till_refund", Text(it="Rimborso da partner", en="Refund from a partner"))
