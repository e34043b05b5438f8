"""Donating: from the wallet (a ledger move, or a hold for all-or-nothing) or by card.

From the wallet, one request: ``wallet → campaign fund`` through the ledger,
or, for an all-or-nothing campaign, a hold on the wallet until the deadline.
By card, a PaymentIntent for the donation itself (not a top-up): the fund is
credited only from the provider's verified event, through the top-ups
webhook (same signature check and event dedupe), with a guarded state change
so that it happens once whatever the number and order of deliveries.

Nothing here updates a row shared by every donor: a donation inserts its own
rows and reads the campaign.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, inspect, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from stdnum.it import codicefiscale

from backend.accounts.models import Library, Network, Patron
from backend.accounts.services import signed_in
from backend.campaigns.errors import (
    ART_BONUS_NOT_AVAILABLE,
    CAMPAIGN_ENDED,
    CAMPAIGN_NOT_OPEN,
    DONATION_AMOUNT_OUT_OF_RANGE,
    INVALID_TAX_CODE,
    PAYMENT_PROVIDER_UNAVAILABLE,
    TAX_CODE_REQUIRED,
    UNSUPPORTED_CURRENCY,
)
from backend.campaigns.models import (
    DONATION_TRANSITIONS,
    Campaign,
    CampaignState,
    Donation,
    DonationState,
    FundingModel,
    MessageStatus,
    Method,
    Purpose,
    Visibility,
)
from backend.config import Settings
from backend.db import insert_returning, persistent_from_row, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.hot_sql import HotStatement
from backend.ledger.models import JournalEntry, LedgerAccount
from backend.ledger.services import (
    House,
    card_account,
    credit,
    debit,
    house_account,
    place_hold,
    post_entry,
    reverse_entry,
    spent_by_source,
    wallet_and_house_accounts,
)
from backend.money import Money
from backend.notify.services import notify, notify_staff
from backend.topups import services as topups
from payments.base import Intent, PaymentError, PaymentProvider, WebhookEvent

log = logging.getLogger(__name__)

# Funding sources whose euros are traceable payments (Art Bonus excludes cash).
ART_BONUS_SOURCES = ("card", "pagopa")
# A pledge's hold outlives the deadline by this much, so the closing job settles it first.
HOLD_MARGIN = timedelta(days=14)


# --- ledger accounts ------------------------------------------------------------------


def fund_of(campaign: Campaign) -> House:
    return House("campaign_fund", campaign.public_id, library=campaign.library, network=campaign.network)


def network_fund(network: Network) -> House:
    """The network's +Teca fund (supporter cards)."""
    return House("campaign_fund", network.public_id, network=network)


def income_of(campaign: Campaign) -> House:
    owner = campaign.library.public_id if campaign.library is not None else campaign.network.public_id
    return House("donation_income", owner, library=campaign.library, network=campaign.network)


def account(session: Session, house: House, currency: str = "EUR"):
    return house_account(
        session, house.kind, house.owner_public_id, currency, library=house.library, network=house.network
    )


# --- the campaign as a donation reads it ----------------------------------------------------


@dataclass(frozen=True)
class CampaignFacts:
    """What a donation needs of its campaign: one Core row, no ORM object (every donation reads it)."""

    id: int
    public_id: str
    network_id: int
    library_id: int | None
    state: str
    deadline: datetime
    currency: str
    model: str
    art_bonus: bool
    title: str
    fund_exists: bool  # the campaign's fund account is there (accounts are never deleted)


# Built once. The fund account's existence comes with the campaign: when it exists (every
# donation but the first) the fund needs no library or network object to be named.
_FUND = LedgerAccount.__table__.alias("fund")
_C = Campaign.__table__.c
_CAMPAIGN_FACTS = (
    select(
        _C.id,
        _C.public_id,
        _C.network_id,
        _C.library_id,
        _C.state,
        _C.deadline,
        _C.currency,
        _C.model,
        _C.art_bonus,
        _C.title,
        _FUND.c.id.is_not(None).label("fund_exists"),
    )
    .select_from(Campaign.__table__)
    .outerjoin(_FUND, (_FUND.c.key == literal("campaign_fund:") + _C.public_id) & (_FUND.c.currency == _C.currency))
    .where(_C.public_id == bindparam("public_id"))
)


@dataclass(frozen=True)
class Giving:
    """What a wallet or card donation reads before it writes, in one statement."""

    campaign: CampaignFacts
    donor: Patron
    accounts: tuple[LedgerAccount, LedgerAccount] | None  # (wallet, fund) once both exist


# The campaign's facts with its fund account, the caller's patron row and wallet, joined.
_WALLET = LedgerAccount.__table__.alias("wallet")
_PATRONS = Patron.__table__
_GIVING = HotStatement(
    _CAMPAIGN_FACTS.add_columns(*_FUND.c, *_WALLET.c, *_PATRONS.c)
    .outerjoin(_PATRONS, _PATRONS.c.public_id == bindparam("subject"))
    .outerjoin(
        _WALLET, (_WALLET.c.key == literal("wallet:") + bindparam("subject")) & (_WALLET.c.currency == _C.currency)
    )
)
_FACTS, _ACCOUNT, _STATE = len(_CAMPAIGN_FACTS.selected_columns), len(_FUND.c), 4


def giving_to(session: Session, public_id: str, subject: str) -> Giving:
    """A campaign one may try to give to (any but a draft: 404) and its donor, the caller.

    ``subject``: the caller's patron public id; a deleted account is signed out (401),
    as ``person_of`` does.
    """
    # On the session's connection: a Core read of columns needs none of the ORM's execution path.
    row = _GIVING.first(session, {"public_id": public_id, "subject": subject})
    if row is None or row[_STATE] == CampaignState.DRAFT:
        raise DomainError(NOT_FOUND)
    fund, wallet, patron = (
        row[_FACTS : _FACTS + _ACCOUNT],
        row[_FACTS + _ACCOUNT : _FACTS + 2 * _ACCOUNT],
        row[_FACTS + 2 * _ACCOUNT :],
    )
    donor = signed_in(persistent_from_row(session, Patron, patron) if patron[0] is not None else None)
    accounts = None
    if fund[0] is not None and wallet[0] is not None:
        accounts = (
            persistent_from_row(session, LedgerAccount, wallet),
            persistent_from_row(session, LedgerAccount, fund),
        )
    return Giving(CampaignFacts(*row[:_FACTS]), donor, accounts)


def _fund_house(session: Session, campaign: Campaign | CampaignFacts) -> House:
    if isinstance(campaign, Campaign):
        return fund_of(campaign)
    if campaign.fund_exists:
        return House("campaign_fund", campaign.public_id)
    # The first donation creates the fund, in the books of the campaign's owner.
    library = session.get(Library, campaign.library_id) if campaign.library_id is not None else None
    return House(
        "campaign_fund", campaign.public_id, library=library, network=session.get(Network, campaign.network_id)
    )


# --- checks -----------------------------------------------------------------------------


def check_open(campaign: Campaign | CampaignFacts, now: datetime | None = None) -> None:
    now = now or utcnow()
    if campaign.state != CampaignState.LIVE:
        raise DomainError(CAMPAIGN_NOT_OPEN, state=campaign.state)
    if now >= campaign.deadline:
        raise DomainError(CAMPAIGN_ENDED, deadline=campaign.deadline)


def check_amount(settings: Settings, money: Money, currency: str) -> None:
    if money.currency != currency:
        raise DomainError(UNSUPPORTED_CURRENCY, param="amount.currency", currency=currency)
    low, high = Money(settings.donation_min_amount, currency), Money(settings.donation_max_amount, currency)
    if not low.amount <= money.amount <= high.amount:
        raise DomainError(DONATION_AMOUNT_OUT_OF_RANGE, param="amount.amount", min=low, max=high)


def checked_tax_code(campaign: Campaign | CampaignFacts | None, art_bonus: bool, tax_code: str | None) -> str | None:
    """The codice fiscale to keep: only when an Art Bonus receipt is asked for (validated)."""
    if not art_bonus:
        return None
    if campaign is None or not campaign.art_bonus:
        raise DomainError(ART_BONUS_NOT_AVAILABLE, param="art_bonus")
    if not tax_code:
        raise DomainError(TAX_CODE_REQUIRED, param="tax_code")
    try:
        return codicefiscale.validate(tax_code)
    except Exception:  # noqa: BLE001 - stdnum raises several ValidationError kinds
        raise DomainError(INVALID_TAX_CODE, param="tax_code") from None


# --- donating ------------------------------------------------------------------------------


@dataclass
class StartedDonation:
    donation: Donation
    intent: Intent | None = None
    customer_id: str | None = None
    customer_session_client_secret: str | None = None
    publishable_key: str | None = None
    campaign_public_id: str | None = None


def donate(
    session: Session,
    settings: Settings,
    patron: Patron,
    campaign: Campaign | CampaignFacts,
    money: Money,
    *,
    method: str = Method.WALLET,
    visibility: str = Visibility.NAME_AND_AMOUNT,
    message: str | None = None,
    art_bonus: bool = False,
    tax_code: str | None = None,
    provider: PaymentProvider | None = None,
    recurring_id: int | None = None,
    period: str | None = None,
    now: datetime | None = None,
    accounts: tuple[LedgerAccount, LedgerAccount] | None = None,
) -> StartedDonation:
    """One donation to a live campaign, before its deadline.

    ``accounts``: the donor's wallet and the campaign's fund when the caller read them (``giving_to``).
    """
    check_open(campaign, now)
    check_amount(settings, money, campaign.currency)
    kept_tax_code = checked_tax_code(campaign, art_bonus, tax_code)
    message = (message or "").strip() or None
    donation = Donation(
        campaign_id=campaign.id,
        network_id=campaign.network_id,
        patron_id=patron.id,
        purpose=Purpose.CAMPAIGN,
        amount=money.amount,
        currency=money.currency,
        method=method,
        visibility=visibility,
        message=message,
        message_status=MessageStatus.PENDING if message else MessageStatus.NONE,
        art_bonus_requested=art_bonus,
        tax_code=kept_tax_code,
        recurring_id=recurring_id,
        period=period,
    )
    donation.patron = patron
    if isinstance(campaign, Campaign):
        donation.campaign = campaign
    if method == Method.CARD:
        started = start_card_payment(session, provider, patron, donation, f"+Teca {campaign.title}"[:200])
        started.campaign_public_id = campaign.public_id
        return started
    if accounts is not None:
        wallet, fund = accounts
    else:
        wallet, [fund] = wallet_and_house_accounts(session, patron, [_fund_house(session, campaign)], money.currency)
    if campaign.model == FundingModel.ALL_OR_NOTHING:
        hold = place_hold(
            session, wallet, money, expires_at=campaign.deadline + HOLD_MARGIN, reference=donation.public_id
        )
        donation.state, donation.hold_id = DonationState.PLEDGED, hold.id
        session.add(donation)
        session.flush()
        notify(
            session, patron, "donation_pledged", campaign_title=campaign.title, amount=money, deadline=campaign.deadline
        )
        return StartedDonation(donation, campaign_public_id=campaign.public_id)
    entry = post_entry(
        session,
        kind="donation",
        legs=[debit(wallet, money), credit(fund, money)],
        memo=f"donation to {campaign.public_id}",
        reference=donation.public_id,
        actor=patron.public_id,
    )
    mark_collected(session, donation, entry, from_wallet=True, art_bonus=campaign.art_bonus)
    # The donor's thanks goes out with the numbered receipt (``receipts.issue_receipt``).
    donation = _insert(session, donation)
    return StartedDonation(donation, campaign_public_id=campaign.public_id)


def _insert(session: Session, donation: Donation) -> Donation:
    """Write a new donation with one ``INSERT … RETURNING`` (every wallet donation does)."""
    session.flush()  # what is pending first: insert_returning writes only this row
    values = {key: donation.__dict__[key] for key in _DONATION_COLUMNS if key in donation.__dict__}
    [written] = insert_returning(session, Donation, [values])
    if "campaign" in donation.__dict__:
        set_committed_value(written, "campaign", donation.campaign)
    set_committed_value(written, "patron", donation.patron)
    return written


_DONATION_COLUMNS = [attribute.key for attribute in inspect(Donation).column_attrs]


def mark_collected(
    session: Session, donation: Donation, entry: JournalEntry, *, from_wallet: bool, art_bonus: bool | None = None
) -> None:
    """The money reached the fund: record the entry and the Art Bonus eligible part.

    From the wallet the part funded by cash is not eligible (the ledger's
    funding lots say how each euro came in); by card all of it is.
    ``art_bonus``: the campaign's, when the caller has it (else read from the donation's campaign).
    """
    if art_bonus is None:
        art_bonus = donation.campaign is not None and donation.campaign.art_bonus
    eligible = 0
    if art_bonus:
        if from_wallet:
            spent = spent_by_source(session, entry)
            eligible = sum(spent.get(source, 0) for source in ART_BONUS_SOURCES)
        else:
            eligible = donation.amount
    donation.state = DonationState.SUCCEEDED
    donation.entry_id = entry.id
    donation.eligible_amount = min(eligible, donation.amount)
    donation.succeeded_at = entry.created_at
    donation.updated_at = utcnow()


def start_card_payment(
    session: Session, provider: PaymentProvider | None, patron: Patron, donation: Donation, description: str
) -> StartedDonation:
    """Our donation first, then the provider's intent carrying its id (metadata + idempotency key)."""
    if provider is None:
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE)
    donation.state, donation.provider = DonationState.PENDING, provider.name
    session.add(donation)
    session.flush()
    try:
        customer_id = topups.customer_of(session, provider, patron)
        intent = provider.create_intent(
            amount=donation.amount,
            currency=donation.currency,
            customer_id=customer_id,
            metadata={"donation_id": donation.public_id, "patron_id": patron.public_id},
            idempotency_key=f"donation-{donation.public_id}",
            description=description,
        )
        sheet = provider.wallet_sheet(customer_id)
    except PaymentError as exc:
        log.warning("payment provider refused to start donation %s: %s", donation.public_id, exc)
        raise DomainError(PAYMENT_PROVIDER_UNAVAILABLE) from exc
    donation.intent_id = intent.id
    session.flush()
    return StartedDonation(
        donation, intent, sheet.customer_id, sheet.customer_session_client_secret, provider.publishable_key
    )


# --- the provider's word -------------------------------------------------------------------


def _move(session: Session, donation: Donation, target: DonationState, **values) -> bool:
    changed = session.execute(
        update(Donation)
        .where(Donation.id == donation.id, Donation.state.in_(DONATION_TRANSITIONS.sources_of(target)))
        .values(state=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(donation)
    return changed == 1


def apply_intent(session: Session, donation: Donation, intent: Intent) -> str:
    """Bring a card donation in line with its intent; the fund is credited exactly once."""
    if intent.status == "succeeded":
        if (intent.amount, intent.amount_received, intent.currency) != (
            donation.amount,
            donation.amount,
            donation.currency,
        ):
            if _move(session, donation, DonationState.FAILED, failure_code="amount_mismatch"):
                log.error("donation %s: the provider reports another amount; not credited", donation.public_id)
                return "amount_mismatch"
            return "already_settled"
        # The guarded move to succeeded is the claim: only one delivery gets past it.
        if not _move(session, donation, DonationState.SUCCEEDED, failure_code=None):
            return "already_settled"
        _credit_fund(session, donation)
        return "donation_credited"
    if intent.status == "canceled" or (intent.status == "requires_payment_method" and intent.last_error):
        if donation.state == DonationState.PENDING and _move(
            session, donation, DonationState.FAILED, failure_code=(intent.last_error or "canceled")[:80]
        ):
            return "donation_failed"
        return "unchanged"
    return "still_pending"


def _credit_fund(session: Session, donation: Donation) -> None:
    money = donation.money
    house = fund_of(donation.campaign) if donation.campaign is not None else network_fund(donation.network)
    fund = account(session, house, money.currency)
    clearing = card_account(session, "card_clearing", donation.provider, money.currency)
    entry = post_entry(
        session,
        kind="donation_card",
        legs=[debit(clearing, money), credit(fund, money)],
        memo=f"card donation {donation.intent_id}",
        reference=donation.public_id,
    )
    mark_collected(session, donation, entry, from_wallet=False)
    session.flush()
    if donation.purpose == Purpose.SUPPORTER_CARD:
        from backend.campaigns.supporter import issue_card

        issue_card(session, donation)
    # A campaign donation's thanks goes out with its numbered receipt (``receipts.issue_receipt``).


def _donation_for_intent(session: Session, intent_id: str | None, metadata: dict | None) -> Donation | None:
    if intent_id:
        found = session.scalar(select(Donation).where(Donation.intent_id == intent_id))
        if found is not None:
            return found
    public_id = (metadata or {}).get("donation_id")
    if public_id:
        return session.scalar(select(Donation).where(Donation.public_id == public_id))
    return None


def handle_provider_event(session: Session, provider: PaymentProvider, event: WebhookEvent) -> str | None:
    """Events about donation payments (None: not ours, the top-ups code carries on)."""
    obj = event.object
    if event.type.startswith("payment_intent."):
        donation = _donation_for_intent(session, obj.get("id"), obj.get("metadata"))
        if donation is None:
            return None
        if event.type == "payment_intent.succeeded":
            # Signed by the provider and final: act on it as delivered.
            return apply_intent(session, donation, topups._intent_from_event(obj))
        # Anything else may be stale (events arrive in any order): ask for the current state.
        return apply_intent(session, donation, topups._fetch(provider, donation.intent_id))
    if event.type.startswith("charge."):
        donation = _donation_for_intent(session, obj.get("payment_intent"), obj.get("metadata"))
        if donation is None:
            return None
        if event.type == "charge.refunded" and donation.state in (DonationState.REFUND_PENDING, DonationState.REFUNDED):
            return "donation_refund_confirmed"
        if event.type not in ("charge.refunded", "charge.dispute.created", "charge.dispute.closed"):
            return "ignored"
        if donation.state in (DonationState.PENDING, DonationState.FAILED):
            # A refund or dispute may overtake the success event: settle the payment first.
            apply_intent(session, donation, topups._fetch(provider, donation.intent_id))
        if donation.state != DonationState.SUCCEEDED:
            log.warning("provider event %s on donation %s in state %s", event.type, donation.public_id, donation.state)
            return "donation_needs_review"
        if event.type == "charge.refunded":
            return book_provider_refund(session, donation, int(obj.get("amount_refunded") or 0))
        if event.type == "charge.dispute.created":
            return book_dispute(session, donation, int(obj.get("amount") or 0), str(obj.get("id")))
        if obj.get("status") != "won":
            return "dispute_lost"  # the money stays taken back, as booked when the dispute opened
        return undo_dispute(session, donation, str(obj.get("id")))
    return None


# --- card money taken back at the provider --------------------------------------------------


def _holder_of_money(donation: Donation) -> House:
    """Where the donation's money is now: the fund, or the owner's income once the campaign settled."""
    if donation.campaign is None:
        return network_fund(donation.network)
    return income_of(donation.campaign) if donation.settled_at is not None else fund_of(donation.campaign)


def _take_back(session: Session, donation: Donation, amount: int, *, kind: str, memo: str) -> JournalEntry:
    """The provider took ``amount`` of a card donation back: out of the fund (or income) to card clearing."""
    money = Money(amount, donation.currency)
    clearing = card_account(session, "card_clearing", donation.provider, donation.currency)
    return post_entry(
        session,
        kind=kind,
        legs=[debit(account(session, _holder_of_money(donation), donation.currency), money), credit(clearing, money)],
        memo=memo,
        reference=donation.public_id,
    )


def _tell_owner(session: Session, donation: Donation, kind: str, amount: int) -> None:
    campaign = donation.campaign
    notify_staff(
        session,
        donation.network,
        kind,
        dedupe_key=f"{kind}:{donation.public_id}:{donation.refunded_amount}:{donation.disputed_amount}",
        campaign_title=campaign.title if campaign is not None else donation.network.name,
        donation=donation.public_id,
        amount=Money(amount, donation.currency),
        kept=Money(donation.kept_amount, donation.currency),
    )


def _add_taken_back(session: Session, donation: Donation, column, before: int, amount: int) -> bool:
    """Guarded on the value read: two deliveries at once cannot both book the same money."""
    moved = session.execute(
        update(Donation)
        .where(Donation.id == donation.id, column == before)
        .values({column: before + amount, Donation.updated_at: utcnow()})
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(donation)  # the row is now locked: settled_at is read as it stands
    return moved == 1


def book_provider_refund(session: Session, donation: Donation, amount_refunded_total: int) -> str:
    """``charge.refunded`` carries the cumulative refunded amount; book only what is new."""
    before = donation.refunded_amount
    delta = min(min(amount_refunded_total, donation.amount) - before, donation.kept_amount)
    if delta <= 0:
        return "already_booked"
    if not _add_taken_back(session, donation, Donation.refunded_amount, before, delta):
        raise RuntimeError("concurrent refund booking; the provider will redeliver")
    _take_back(
        session,
        donation,
        delta,
        kind="donation_card_refund_external",
        memo=f"refund made at the provider on {donation.intent_id}",
    )
    notify(
        session,
        donation.patron,
        "refund_processed",
        amount=Money(delta, donation.currency),
        description=_description(donation),
    )
    _tell_owner(session, donation, "donation_card_refunded", delta)
    return "donation_refund_booked"


def book_dispute(session: Session, donation: Donation, amount: int, dispute_id: str) -> str:
    if amount <= 0:
        return "ignored"
    if session.scalar(select(JournalEntry.id).where(*_dispute_entry(donation, dispute_id))):
        return "already_booked"
    before = donation.disputed_amount
    amount = min(amount, donation.kept_amount)
    if amount <= 0:
        return "already_booked"
    if not _add_taken_back(session, donation, Donation.disputed_amount, before, amount):
        raise RuntimeError("concurrent dispute booking; the provider will redeliver")
    _take_back(
        session,
        donation,
        amount,
        kind="donation_card_dispute",
        memo=f"card dispute {dispute_id} on {donation.intent_id}",
    )
    _tell_owner(session, donation, "donation_card_disputed", amount)
    return "donation_dispute_booked"


def _dispute_entry(donation: Donation, dispute_id: str):
    return (
        JournalEntry.kind == "donation_card_dispute",
        JournalEntry.reference == donation.public_id,
        JournalEntry.memo == f"card dispute {dispute_id} on {donation.intent_id}",
    )


def undo_dispute(session: Session, donation: Donation, dispute_id: str) -> str:
    """A dispute we won: the money returns to where it was taken from (fund or income)."""
    entry = session.scalar(select(JournalEntry).where(*_dispute_entry(donation, dispute_id)))
    if entry is None:
        return "unknown_dispute"
    if session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id)):
        return "already_booked"
    amount = sum(p.amount for p in entry.postings if p.account.kind == "card_clearing")
    amount = abs(amount)
    before = donation.disputed_amount
    if not _add_taken_back(session, donation, Donation.disputed_amount, before, -amount):
        raise RuntimeError("concurrent dispute booking; the provider will redeliver")
    reverse_entry(session, entry, memo=f"card dispute {dispute_id} won on {donation.intent_id}")
    _tell_owner(session, donation, "donation_dispute_won", amount)
    return "donation_dispute_won"


def _description(donation: Donation) -> str:
    campaign = donation.campaign
    return f"donazione/donation: {campaign.title if campaign is not None else donation.network.name}"


topups.register_event_handler(handle_provider_event)


def settle_open_card_donations(
    session: Session,
    provider: PaymentProvider,
    *,
    older_than=timedelta(minutes=10),
    within=timedelta(days=7),
    now: datetime | None = None,
) -> int:
    """Ask the provider about card donations whose event never came (the settle job)."""
    now = now or utcnow()
    ids = list(
        session.scalars(
            select(Donation.id)
            .where(
                Donation.state.in_((DonationState.PENDING, DonationState.FAILED)),
                Donation.intent_id.is_not(None),
                Donation.created_at <= now - older_than,
                Donation.created_at >= now - within,
            )
            .order_by(Donation.id)
            .limit(200)
        )
    )
    done = 0
    for donation_id in ids:
        donation = session.get(Donation, donation_id)
        try:
            with session.begin_nested():
                if apply_intent(session, donation, provider.retrieve_intent(donation.intent_id)) == "donation_credited":
                    done += 1
        except PaymentError:
            log.warning("could not ask the provider about donation %s", donation.public_id)
    return done
