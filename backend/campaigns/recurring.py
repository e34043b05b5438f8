"""Recurring donations: monthly or yearly from the wallet, run by the scheduler once per period.

"Once per period" holds with any number of schedulers: a run claims the
recurring donation with a guarded update on the due moment it read (a second
runner's update finds it moved on), and the donation row is unique per
``(recurring donation, period)`` as a last guard.

A charge the wallet can't cover notifies the donor and is retried once a day
later; a second failure pauses the recurring donation (the donor may resume it).
Any other refusal, or the campaign's end, stops it for good, and the donor is
told why (``recurring_stopped``).

A donor who asks for the Art Bonus gives the codice fiscale once, checked at the
start as for a one-off donation; each run's donation carries it to its receipt.
It is never shown, and is erased when the recurring donation stops.

A donor who deletes their account stops every recurring donation of theirs with
it (a deletion step registered with ``backend.accounts.privacy``): nothing more is
charged, and no codice fiscale stays behind.
"""

from __future__ import annotations

import calendar
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.accounts.privacy import register_deletion_step
from backend.campaigns.donations import check_amount, check_open, checked_tax_code, donate
from backend.campaigns.errors import RECURRING_NOT_ACTIVE
from backend.campaigns.models import (
    RECURRING_TRANSITIONS,
    Campaign,
    CampaignState,
    Interval,
    RecurringDonation,
    RecurringState,
)
from backend.config import Settings
from backend.db import get_or_404, utcnow
from backend.errors import DomainError
from backend.i18n import ROME, Text, normalize_language
from backend.ledger.errors import INSUFFICIENT_FUNDS
from backend.money import Money
from backend.notify.models import TRANSACTIONAL
from backend.notify.services import notify
from backend.notify.templates import MONEY, TEMPLATES, TEXT, Template, register

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(days=1)

# The scheduler stopped a recurring donation: the donor hears of it as of a pause (a transactional
# notice: in the app, and by email and push as their preferences say). Registered with
# ``backend.notify.templates`` as a domain's notices are.
RECURRING_STOPPED = Template(
    "recurring_stopped",
    TRANSACTIONAL,
    Text(it="Donazione periodica terminata: {campaign_title}", en="Recurring donation ended: {campaign_title}"),
    Text(
        it="La donazione periodica di {amount} a «{campaign_title}» è terminata: non ti sarà più addebitata. "
        "Motivo: {reason}",
        en='Your recurring donation of {amount} to "{campaign_title}" has ended and will not be charged again. '
        "Reason: {reason}",
    ),
    {"campaign_title": TEXT, "amount": MONEY, "reason": TEXT},
)
if RECURRING_STOPPED.kind not in TEMPLATES:  # importing twice (reloads in tests) registers once
    register(RECURRING_STOPPED)
CAMPAIGN_OVER = Text(
    it="la campagna si è conclusa e non accetta più donazioni.",
    en="the campaign has ended and no longer accepts donations.",
)


def period_of(moment: datetime, interval: str) -> str:
    local = moment.astimezone(ROME)
    return f"{local.year:04d}-{local.month:02d}" if interval == Interval.MONTHLY else f"{local.year:04d}"


def next_due(moment: datetime, interval: str) -> datetime:
    """The same local day and time one month (or year) later, the day clamped to the month's length."""
    local = moment.astimezone(ROME)
    months = 1 if interval == Interval.MONTHLY else 12
    year, month = divmod(local.month - 1 + months, 12)
    year, month = local.year + year, month + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(moment.tzinfo)


def start(
    session: Session,
    settings: Settings,
    patron: Patron,
    campaign: Campaign,
    money: Money,
    *,
    interval: str,
    visibility: str,
    art_bonus: bool = False,
    tax_code: str | None = None,
    now: datetime | None = None,
) -> RecurringDonation:
    """The first charge is due now: the next scheduler run takes it.

    ``art_bonus``: every run's donation asks for an Art Bonus receipt, with the codice fiscale
    checked now as a one-off donation's is (same refusals).
    """
    now = now or utcnow()
    check_open(campaign, now)
    check_amount(settings, money, campaign.currency)
    kept_tax_code = checked_tax_code(campaign, art_bonus, tax_code)
    recurring = RecurringDonation(
        campaign_id=campaign.id,
        patron_id=patron.id,
        amount=money.amount,
        currency=money.currency,
        interval=interval,
        visibility=visibility,
        art_bonus_requested=art_bonus,
        tax_code=kept_tax_code,
        state=RecurringState.ACTIVE,
        next_run_at=now,
        next_period=period_of(now, interval),
        failures=0,
    )
    session.add(recurring)
    session.flush()
    return recurring


def _move(session: Session, recurring: RecurringDonation, target: RecurringState, **values) -> bool:
    if target == RecurringState.STOPPED:
        values["tax_code"] = None  # no receipt will need it any more
    changed = session.execute(
        update(RecurringDonation)
        .where(
            RecurringDonation.id == recurring.id, RecurringDonation.state.in_(RECURRING_TRANSITIONS.sources_of(target))
        )
        .values(state=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(recurring)
    return changed == 1


def stop(session: Session, recurring: RecurringDonation) -> RecurringDonation:
    if not _move(session, recurring, RecurringState.STOPPED):
        raise DomainError(RECURRING_NOT_ACTIVE, state=recurring.state)
    return recurring


def stop_all_of_deleted_account(session: Session, patron: Patron) -> None:
    """The donor deletes their account: each recurring donation still active or paused stops for good
    (its codice fiscale erased with it). No notice: the account, and its inbox, is going."""
    running = session.scalars(
        select(RecurringDonation).where(
            RecurringDonation.patron_id == patron.id,
            RecurringDonation.state.in_(RECURRING_TRANSITIONS.sources_of(RecurringState.STOPPED)),
        )
    ).all()
    for recurring in running:
        _move(session, recurring, RecurringState.STOPPED, last_error="account_deleted")


register_deletion_step(stop_all_of_deleted_account)


def resume(session: Session, recurring: RecurringDonation, now: datetime | None = None) -> RecurringDonation:
    """A paused donation runs again at once for the period it missed."""
    now = now or utcnow()
    if not _move(
        session,
        recurring,
        RecurringState.ACTIVE,
        failures=0,
        next_run_at=now,
        last_error=None,
        next_period=period_of(now, recurring.interval),
    ):
        raise DomainError(RECURRING_NOT_ACTIVE, state=recurring.state)
    return recurring


def mine(session: Session, patron: Patron, public_id: str) -> RecurringDonation:
    return get_or_404(session, RecurringDonation, public_id, patron_id=patron.id)


def run_due(session: Session, settings: Settings, now: datetime | None = None, limit: int = 200) -> dict:
    """The scheduler job: every active recurring donation due now is charged (or retried) once."""
    now = now or utcnow()
    due = session.execute(
        select(RecurringDonation.id, RecurringDonation.next_run_at)
        .where(RecurringDonation.state == RecurringState.ACTIVE, RecurringDonation.next_run_at <= now)
        .order_by(RecurringDonation.next_run_at, RecurringDonation.id)
        .limit(limit)
    ).all()
    counts = {"charged": 0, "failed": 0, "paused": 0, "stopped": 0, "skipped": 0}
    for recurring_id, seen_due in due:
        with session.begin_nested():
            counts[_run_one(session, settings, recurring_id, seen_due, now)] += 1
    return counts


def _run_one(session: Session, settings: Settings, recurring_id: int, seen_due: datetime, now: datetime) -> str:
    # The claim: whoever moves ``updated_at`` on the due moment it read runs this charge; a
    # second runner's update waits for the first to commit and then matches nothing.
    claimed = session.execute(
        update(RecurringDonation)
        .where(
            RecurringDonation.id == recurring_id,
            RecurringDonation.state == RecurringState.ACTIVE,
            RecurringDonation.next_run_at == seen_due,
        )
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return "skipped"
    recurring = session.get(RecurringDonation, recurring_id, populate_existing=True)
    campaign = recurring.campaign
    money = Money(recurring.amount, recurring.currency)
    if campaign.state != CampaignState.LIVE or campaign.deadline <= now:
        return _stopped(session, recurring, campaign, money, "campaign_ended", CAMPAIGN_OVER)
    try:
        with session.begin_nested():
            donate(
                session,
                settings,
                recurring.patron,
                campaign,
                money,
                visibility=recurring.visibility,
                art_bonus=recurring.art_bonus_requested,
                tax_code=recurring.tax_code,
                recurring_id=recurring.id,
                period=recurring.next_period,
                now=now,
            )
    except IntegrityError:
        log.warning("recurring donation %s already charged for %s", recurring.public_id, recurring.next_period)
        _advance(session, recurring)
        return "skipped"
    except DomainError as refused:
        if refused.error is not INSUFFICIENT_FUNDS:
            return _stopped(session, recurring, campaign, money, refused.error.code, refused)
        return _failed(session, recurring, campaign, money, now)
    _advance(session, recurring)
    return "charged"


def _advance(session: Session, recurring: RecurringDonation) -> None:
    # From the period's own due moment, so a retried charge does not shift the schedule.
    following = next_due(recurring.next_run_at - recurring.failures * RETRY_AFTER, recurring.interval)
    recurring.next_run_at = following
    recurring.next_period = period_of(following, recurring.interval)
    recurring.failures = 0
    recurring.last_error = None
    session.flush()


def _stopped(
    session: Session,
    recurring: RecurringDonation,
    campaign: Campaign,
    money: Money,
    code: str,
    reason: Text | DomainError,
) -> str:
    """For good: the donor is told once, with the reason in their language (the refusal's own message)."""
    if _move(session, recurring, RecurringState.STOPPED, last_error=code[:80]):
        language = normalize_language(recurring.patron.language)
        said = reason.body(language)["error"]["message"] if isinstance(reason, DomainError) else reason.render(language)
        notify(session, recurring.patron, "recurring_stopped", campaign_title=campaign.title, amount=money, reason=said)
    return "stopped"


def _failed(session: Session, recurring: RecurringDonation, campaign: Campaign, money: Money, now: datetime) -> str:
    if recurring.failures == 0:
        recurring.failures = 1
        recurring.last_error = "insufficient_funds"
        recurring.next_run_at = recurring.next_run_at + RETRY_AFTER
        session.flush()
        notify(
            session,
            recurring.patron,
            "recurring_failed",
            campaign_title=campaign.title,
            amount=money,
            retry_at=recurring.next_run_at,
        )
        return "failed"
    _move(session, recurring, RecurringState.PAUSED, last_error="insufficient_funds")
    notify(session, recurring.patron, "recurring_paused", campaign_title=campaign.title, amount=money)
    return "paused"
