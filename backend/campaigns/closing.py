"""The deadline: each campaign is settled exactly once, its donations each exactly once.

The closing job (every minute) moves each live campaign past its deadline to
``funded`` or ``not_funded`` with a guarded state change (one winner among any
number of schedulers), then settles its donations:

- keep-it-all, or all-or-nothing with the goal reached: pledges (holds) are
  captured into the fund, and the fund's collected donations move to the owner's
  ``donation_income`` in one entry;
- all-or-nothing with the goal missed: holds are released, card donations go
  back to the card (``refund_pending``, sent to the provider after the commit and
  by the job until it answers); donors are told. The refund is booked in the
  donation's ``refunded_amount`` at once: from the deadline the donation gives
  nothing (receipt, yearly summary, Art Bonus report), also while the provider
  has not paid it yet.

Each donation is settled by its own guarded update (``settled_at IS NULL`` /
state), so a card donation whose provider event comes after the deadline is
settled by the next run, the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.campaigns.donations import _add_taken_back as add_taken_back
from backend.campaigns.donations import _move as move_donation
from backend.campaigns.donations import account, fund_of, income_of, mark_collected
from backend.campaigns.models import (
    SETTLED_CAMPAIGN_STATES,
    Campaign,
    CampaignState,
    Donation,
    DonationState,
    FundingModel,
    Method,
)
from backend.campaigns.services import CARD_REFUND_KIND, GIVEN_BACK_AT_DEADLINE, KEPT, collected_amount
from backend.campaigns.services import _move as move_campaign
from backend.db import utcnow
from backend.errors import DomainError
from backend.i18n import Text
from backend.ledger.models import Hold, JournalEntry
from backend.ledger.services import capture_hold, card_account, credit, debit, post_entry, release_hold
from backend.money import Money
from backend.notify.services import notify
from payments.base import PaymentError, PaymentProvider, PaymentRefused

log = logging.getLogger(__name__)

BACK_TO = {
    Method.WALLET: Text(it="di nuovo disponibili sul borsellino", en="available again in your wallet"),
    Method.CARD: Text(it="rimborsati sulla carta", en="refunded to your card"),
}


def close_due_campaigns(session: Session, now: datetime | None = None) -> dict:
    """The scheduler job: settle campaigns past their deadline, then any late donation."""
    now = now or utcnow()
    settled = 0
    for campaign_id in session.scalars(
        select(Campaign.id)
        .where(Campaign.state == CampaignState.LIVE, Campaign.deadline <= now)
        .order_by(Campaign.id)
        .limit(50)
    ):
        if settle_campaign(session, session.get(Campaign, campaign_id), now=now):
            settled += 1
    # Late arrivals (a card payment confirmed after the deadline) on campaigns already settled.
    late = session.scalars(
        select(Donation.campaign_id)
        .distinct()
        .join(Campaign)
        .where(
            Campaign.state.in_(SETTLED_CAMPAIGN_STATES),
            (Donation.state == DonationState.PLEDGED)
            | ((Donation.state == DonationState.SUCCEEDED) & Donation.settled_at.is_(None)),
        )
        .limit(50)
    ).all()
    for campaign_id in late:
        settle_donations(session, session.get(Campaign, campaign_id), now=now)
    return {"settled": settled, "late": len(late)}


def settle_campaign(session: Session, campaign: Campaign, *, now: datetime | None = None) -> bool:
    """live → funded | not_funded at the deadline; False if someone else already did."""
    now = now or utcnow()
    if campaign.state != CampaignState.LIVE or campaign.deadline > now:
        return False
    reached = collected_amount(session, campaign) >= campaign.goal
    target = CampaignState.FUNDED if reached else CampaignState.NOT_FUNDED
    if not move_campaign(session, campaign, target, settled_at=now):
        return False
    settle_donations(session, campaign, now=now)
    return True


def _keeps_money(campaign: Campaign) -> bool:
    return campaign.model == FundingModel.KEEP_IT_ALL or campaign.state != CampaignState.NOT_FUNDED


def settle_donations(session: Session, campaign: Campaign, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    keeps = _keeps_money(campaign)
    for donation in session.scalars(
        select(Donation)
        .where(Donation.campaign_id == campaign.id, Donation.state == DonationState.PLEDGED)
        .order_by(Donation.id)
    ):
        if keeps:
            _capture(session, campaign, donation)
        else:
            _release(session, campaign, donation)
    unsettled = list(
        session.scalars(
            select(Donation)
            .where(
                Donation.campaign_id == campaign.id,
                Donation.state == DonationState.SUCCEEDED,
                Donation.settled_at.is_(None),
            )
            .order_by(Donation.id)
        )
    )
    if not unsettled:
        return
    if keeps:
        _to_income(session, campaign, unsettled, now)
    else:
        for donation in unsettled:
            _refund_to_card(session, campaign, donation, now)


def _capture(session: Session, campaign: Campaign, donation: Donation) -> None:
    hold = session.get(Hold, donation.hold_id)
    fund = account(session, fund_of(campaign), donation.currency)
    try:
        with session.begin_nested():
            entry = capture_hold(
                session,
                hold,
                [credit(fund, donation.money)],
                kind="donation_pledge",
                memo=f"pledge to {campaign.public_id} collected",
                reference=donation.public_id,
            )
    except DomainError:
        # The hold is no longer pending (expired long after the deadline): nothing was collected.
        if move_donation(session, donation, DonationState.RELEASED, settled_at=utcnow()):
            log.warning("donation %s: its hold was no longer pending at settlement", donation.public_id)
        return
    if not move_donation(session, donation, DonationState.SUCCEEDED):
        raise RuntimeError(f"donation {donation.public_id} changed while its hold was captured")
    mark_collected(session, donation, entry, from_wallet=True)
    session.flush()
    notify(session, donation.patron, "campaign_funded", campaign_title=campaign.title, amount=donation.money)


def _release(session: Session, campaign: Campaign, donation: Donation) -> None:
    if not move_donation(session, donation, DonationState.RELEASED, settled_at=utcnow()):
        return
    hold = session.get(Hold, donation.hold_id)
    try:
        with session.begin_nested():
            release_hold(session, hold)
    except DomainError:
        pass  # already expired: the money is free anyway
    _tell_missed(session, campaign, donation)


def _tell_missed(session: Session, campaign: Campaign, donation: Donation) -> None:
    language = donation.patron.language
    notify(
        session,
        donation.patron,
        "campaign_goal_missed",
        campaign_title=campaign.title,
        amount=donation.money,
        method=BACK_TO[Method(donation.method)].render(language),
    )


def _to_income(session: Session, campaign: Campaign, donations: list[Donation], now: datetime) -> None:
    ids = [d.id for d in donations]
    claimed = session.execute(
        update(Donation)
        .where(Donation.id.in_(ids), Donation.settled_at.is_(None), Donation.state == DonationState.SUCCEEDED)
        .values(settled_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != len(ids):
        raise RuntimeError(f"campaign {campaign.public_id}: donations settled concurrently; retry")
    # Read after the claim (the rows are locked): a refund or dispute booked meanwhile left the fund already.
    kept = session.scalar(select(func.coalesce(func.sum(KEPT), 0)).where(Donation.id.in_(ids)))
    total = Money(int(kept), campaign.currency)
    fund = account(session, fund_of(campaign), campaign.currency)
    income = account(session, income_of(campaign), campaign.currency)
    post_entry(
        session,
        kind="campaign_settlement",
        legs=[debit(fund, total), credit(income, total)],
        memo=f"{len(ids)} donations to {campaign.public_id} to the owner's income",
        reference=campaign.public_id,
    )
    for donation in donations:
        session.expire(donation)


def _refund_to_card(session: Session, campaign: Campaign, donation: Donation, now: datetime) -> None:
    if not move_donation(session, donation, DonationState.REFUND_PENDING, settled_at=now):
        return
    # What the provider already took back (a refund made there, a dispute) is not refunded again.
    money = Money(donation.kept_amount, donation.currency)
    if money.amount == 0:
        _tell_missed(session, campaign, donation)
        return
    # Given back from now on, as a refund made at the provider is: the donation no longer counts as
    # given (receipt, yearly summary, Art Bonus report) while the provider is still being asked to pay.
    if not add_taken_back(session, donation, Donation.refunded_amount, donation.refunded_amount, money.amount):
        raise RuntimeError(f"donation {donation.public_id} changed while its refund was booked")
    fund = account(session, fund_of(campaign), donation.currency)
    clearing = card_account(session, "card_clearing", donation.provider, donation.currency)
    post_entry(
        session,
        kind=CARD_REFUND_KIND,
        legs=[debit(fund, money), credit(clearing, money)],
        memo=f"goal missed: refund of {donation.intent_id}",
        reference=donation.public_id,
    )
    _tell_missed(session, campaign, donation)


def owed_to_card(session: Session, donation: Donation) -> int:
    """What the closing gave back of a card donation: its ``donation_card_refund`` entry to card clearing.

    Booked as ``refunded_amount`` at the deadline, together with refunds made at the provider
    before it, so the entry is what tells this refund apart: the amount to ask the provider for.
    """
    return int(session.scalar(GIVEN_BACK_AT_DEADLINE.where(JournalEntry.reference == donation.public_id)) or 0)


def send_card_refunds(session: Session, provider: PaymentProvider, limit: int = 100) -> int:
    """Ask the provider to refund card donations of missed goals (same idempotency key every time)."""
    sent = 0
    for donation in list(
        session.scalars(
            select(Donation).where(Donation.state == DonationState.REFUND_PENDING).order_by(Donation.id).limit(limit)
        )
    ):
        owed = owed_to_card(session, donation)
        if owed == 0:  # the provider took it all back already
            if move_donation(session, donation, DonationState.REFUNDED):
                sent += 1
            continue
        try:
            provider.refund(
                intent_id=donation.intent_id,
                amount=owed,
                idempotency_key=f"donation-refund-{donation.public_id}",
                metadata={"donation_id": donation.public_id},
            )
        except PaymentRefused as exc:
            log.error("provider refused the refund of donation %s: %s (finance follows up)", donation.public_id, exc)
            continue
        except PaymentError as exc:
            log.warning("refund of donation %s not sent yet: %s", donation.public_id, exc)
            continue
        if move_donation(session, donation, DonationState.REFUNDED):
            sent += 1
    return sent
