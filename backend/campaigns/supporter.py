"""Supporter cards: twelve months of support for a network, renewable, a donation to its +Teca fund.

The network sets the price (``SupporterCardPlan``). A card bought from the
wallet is issued in the same transaction; by card, when the provider's event
credits the fund (``backend.campaigns.donations``). A renewal starts where the
running card ends. ``holds_supporter_card`` is what partner offers ask
("holders of a supporter card").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.models import Network, Patron
from backend.campaigns.donations import StartedDonation, network_fund, start_card_payment
from backend.campaigns.errors import SUPPORTER_CARD_NOT_SOLD
from backend.campaigns.models import (
    Donation,
    Interval,
    MessageStatus,
    Method,
    Purpose,
    SupporterCard,
    SupporterCardPlan,
    Visibility,
)
from backend.campaigns.recurring import next_due
from backend.db import get_or_404, utcnow
from backend.errors import DomainError
from backend.ledger.services import credit, debit, post_entry, wallet_and_house_accounts
from backend.money import Money
from backend.notify.services import notify
from payments.base import PaymentProvider


def plan_of(session: Session, network: Network) -> SupporterCardPlan | None:
    return session.scalar(select(SupporterCardPlan).where(SupporterCardPlan.network_id == network.id))


def set_plan(session: Session, network: Network, price: Money, active: bool) -> SupporterCardPlan:
    plan = plan_of(session, network)
    if plan is None:
        plan = SupporterCardPlan(network_id=network.id, price=price.amount, currency=price.currency, active=active)
        session.add(plan)
    else:
        plan.price, plan.currency, plan.active, plan.updated_at = price.amount, price.currency, active, utcnow()
    session.flush()
    return plan


def buy(
    session: Session, provider: PaymentProvider | None, patron: Patron, network_id: str, *, method: str
) -> StartedDonation:
    network = get_or_404(session, Network, network_id, param="network_id")
    plan = plan_of(session, network)
    if plan is None or not plan.active:
        raise DomainError(SUPPORTER_CARD_NOT_SOLD, param="network_id")
    money = Money(plan.price, plan.currency)
    donation = Donation(
        campaign_id=None,
        network_id=network.id,
        patron_id=patron.id,
        purpose=Purpose.SUPPORTER_CARD,
        amount=money.amount,
        currency=money.currency,
        method=method,
        visibility=Visibility.ANONYMOUS,
        message_status=MessageStatus.NONE,
    )
    donation.network, donation.patron = network, patron
    if method == Method.CARD:
        return start_card_payment(session, provider, patron, donation, f"+Teca {network.name}"[:200])
    wallet, [fund] = wallet_and_house_accounts(session, patron, [network_fund(network)], money.currency)
    entry = post_entry(
        session,
        kind="supporter_card",
        legs=[debit(wallet, money), credit(fund, money)],
        memo=f"supporter card {network.code}",
        reference=donation.public_id,
        actor=patron.public_id,
    )
    from backend.campaigns.donations import mark_collected

    mark_collected(session, donation, entry, from_wallet=True)
    session.add(donation)
    session.flush()
    issue_card(session, donation)
    return StartedDonation(donation)


def issue_card(session: Session, donation: Donation, now: datetime | None = None) -> SupporterCard:
    """Twelve months from now, or from the end of the card still running (a renewal)."""
    now = now or utcnow()
    running_until = session.scalar(
        select(func.max(SupporterCard.valid_until)).where(
            SupporterCard.patron_id == donation.patron_id, SupporterCard.network_id == donation.network_id
        )
    )
    start = max(now, running_until) if running_until is not None else now
    card = SupporterCard(
        patron_id=donation.patron_id,
        network_id=donation.network_id,
        donation_id=donation.id,
        valid_from=start,
        valid_until=next_due(start, Interval.YEARLY),
    )
    session.add(card)
    session.flush()
    notify(
        session,
        donation.patron,
        "supporter_card_issued",
        network=donation.network.name,
        amount=donation.money,
        valid_until=card.valid_until,
    )
    return card


def cards_of(session: Session, patron: Patron) -> list[SupporterCard]:
    return list(
        session.scalars(
            select(SupporterCard)
            .where(SupporterCard.patron_id == patron.id)
            .order_by(SupporterCard.valid_until.desc(), SupporterCard.id.desc())
        )
    )


def holds_supporter_card(session: Session, patron_id: int, network_id: int, at: datetime) -> bool:
    """Whether the patron holds a valid supporter card of the network at ``at`` (for partner offers)."""
    return bool(
        session.scalar(
            select(SupporterCard.id)
            .where(
                SupporterCard.patron_id == patron_id,
                SupporterCard.network_id == network_id,
                SupporterCard.valid_from <= at,
                SupporterCard.valid_until > at,
            )
            .limit(1)
        )
    )


def _register_with_partner_offers() -> None:
    """Partner offers for "holders of a supporter card" ask this domain (when the partners domain is there)."""
    try:
        from backend.partners.eligibility import register_supporter_card_check
    except ImportError:
        return
    register_supporter_card_check(holds_supporter_card)


_register_with_partner_offers()
