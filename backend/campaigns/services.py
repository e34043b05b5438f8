"""Campaigns: owners create, launch and report on them; the app discovers them and sees progress.

Progress is an aggregate over the donation rows (``ix_donations_campaign_id_state``),
never a counter on the campaign: the campaign row is only read by donors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, distinct, func, select, update
from sqlalchemy.orm import Session, joinedload

from backend.accounts.models import Library, Network, Patron, StaffUser
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_owner, require_library
from backend.campaigns.errors import (
    ART_BONUS_DETAILS_REQUIRED,
    CAMPAIGN_LOCKED,
    DEADLINE_IN_PAST,
    NOT_SETTLED_YET,
)
from backend.campaigns.models import (
    CAMPAIGN_TRANSITIONS,
    COUNTED_STATES,
    Campaign,
    CampaignFollower,
    CampaignState,
    CampaignUpdate,
    Donation,
    DonationState,
)
from backend.db import dialect_insert, get_or_404, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.geo import near
from backend.ledger.models import JournalEntry, LedgerAccount, Posting
from backend.money import Money
from backend.notify.services import notify
from backend.pagination import Page, paginate

EDITABLE_ALWAYS = (
    "title",
    "story",
    "images",
    "good_causes",
    "latitude",
    "longitude",
    "art_bonus_beneficiary",
    "art_bonus_purpose",
)
# Fixed at launch: what donors were promised.
EDITABLE_IN_DRAFT = ("goal", "deadline", "model", "art_bonus")


# --- who may manage ------------------------------------------------------------------


def may_manage(session: Session, principal: Principal, campaign: Campaign) -> bool:
    return acts_for_owner(session, principal, campaign.network, campaign.library)


def managed_campaign(session: Session, principal: Principal, public_id: str) -> Campaign:
    campaign = get_or_404(session, Campaign, public_id)
    if not may_manage(session, principal, campaign):
        raise DomainError(NOT_FOUND)
    return campaign


def owner_for(
    session: Session, principal: Principal, *, library_id: str | None, network_id: str | None
) -> tuple[Network, Library | None]:
    """The owner named in a request, within the caller's scope (a library, or the admin's network)."""
    if library_id:
        library = require_library(principal, session.scalar(select(Library).where(Library.public_id == library_id)))
        return library.network, library
    network = get_or_404(session, Network, network_id)
    if principal.role != "admin" or principal.network_id != network.public_id:
        raise DomainError(NOT_FOUND)
    return network, None


# --- lifecycle -------------------------------------------------------------------------


def _check_art_bonus(campaign: Campaign) -> None:
    if campaign.art_bonus and not (campaign.art_bonus_beneficiary.strip() and campaign.art_bonus_purpose.strip()):
        raise DomainError(ART_BONUS_DETAILS_REQUIRED, param="art_bonus_beneficiary")


def create_campaign(session: Session, principal: Principal, data: dict) -> Campaign:
    network, library = owner_for(
        session, principal, library_id=data.get("library_id"), network_id=data.get("network_id")
    )
    if data["deadline"] <= utcnow():
        raise DomainError(DEADLINE_IN_PAST, param="deadline")
    campaign = Campaign(
        network_id=network.id,
        library_id=library.id if library else None,
        state=CampaignState.DRAFT,
        currency=data["goal"].currency,
        **{k: data[k] for k in (*EDITABLE_ALWAYS, *EDITABLE_IN_DRAFT) if k in data and k != "goal"},
        goal=data["goal"].amount,
    )
    campaign.network, campaign.library = network, library
    _check_art_bonus(campaign)
    session.add(campaign)
    session.flush()
    return campaign


def edit_campaign(session: Session, campaign: Campaign, changes: dict) -> Campaign:
    locked = [k for k in EDITABLE_IN_DRAFT if k in changes]
    if locked and campaign.state != CampaignState.DRAFT:
        raise DomainError(CAMPAIGN_LOCKED, param=locked[0], state=campaign.state)
    if "deadline" in changes and changes["deadline"] <= utcnow():
        raise DomainError(DEADLINE_IN_PAST, param="deadline")
    for key, value in changes.items():
        if key == "goal":
            campaign.goal, campaign.currency = value.amount, value.currency
        elif key in (*EDITABLE_ALWAYS, *EDITABLE_IN_DRAFT):
            setattr(campaign, key, value)
    _check_art_bonus(campaign)
    session.flush()
    return campaign


def _move(session: Session, campaign: Campaign, target: CampaignState, **values) -> bool:
    """Guarded state change: True for the one caller that made it."""
    changed = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.state.in_(CAMPAIGN_TRANSITIONS.sources_of(target)))
        .values(state=target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(campaign)
    return changed == 1


def launch(session: Session, campaign: Campaign) -> Campaign:
    CAMPAIGN_TRANSITIONS.check(campaign.state, CampaignState.LIVE, state=campaign.state)
    if campaign.deadline <= utcnow():
        raise DomainError(DEADLINE_IN_PAST, param="deadline")
    _check_art_bonus(campaign)
    if not _move(session, campaign, CampaignState.LIVE, launched_at=utcnow()):
        CAMPAIGN_TRANSITIONS.check(campaign.state, CampaignState.LIVE, state=campaign.state)
    return campaign


def post_update(
    session: Session,
    campaign: Campaign,
    author: StaffUser,
    *,
    body: str,
    image_url: str | None = None,
    results: str = "",
    final_report: bool = False,
) -> CampaignUpdate:
    """An owner's post; followers and donors hear of it ("campaign news", their choice).

    The final report (after the deadline) closes the campaign.
    """
    if final_report:
        if campaign.state not in (CampaignState.FUNDED, CampaignState.NOT_FUNDED):
            raise DomainError(NOT_SETTLED_YET, param="final_report", state=campaign.state)
        _move(session, campaign, CampaignState.CLOSED, closed_at=utcnow(), final_report=body)
    post = CampaignUpdate(
        campaign_id=campaign.id,
        body=body,
        image_url=image_url,
        results=results,
        is_final_report=final_report,
        author_name=campaign.owner_name,
    )
    session.add(post)
    session.flush()
    for patron in audience_of(session, campaign):
        notify(session, patron, "campaign_update", campaign_title=campaign.title, message=body[:300])
    return post


def audience_of(session: Session, campaign: Campaign) -> list[Patron]:
    """Followers and donors (each once)."""
    donors = select(Donation.patron_id).where(Donation.campaign_id == campaign.id, Donation.state.in_(COUNTED_STATES))
    followers = select(CampaignFollower.patron_id).where(CampaignFollower.campaign_id == campaign.id)
    return list(
        session.scalars(
            select(Patron)
            .where(Patron.id.in_(donors.union(followers)), Patron.deleted_at.is_(None))
            .order_by(Patron.id)
        )
    )


def follow(session: Session, campaign: Campaign, patron: Patron) -> None:
    session.execute(
        dialect_insert(session)(CampaignFollower)
        .values(campaign_id=campaign.id, patron_id=patron.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["campaign_id", "patron_id"])
    )


def unfollow(session: Session, campaign: Campaign, patron: Patron) -> None:
    from sqlalchemy import delete

    session.execute(
        delete(CampaignFollower).where(
            CampaignFollower.campaign_id == campaign.id, CampaignFollower.patron_id == patron.id
        )
    )


def is_following(session: Session, campaign: Campaign, patron: Patron) -> bool:
    return bool(
        session.scalar(
            select(CampaignFollower.id).where(
                CampaignFollower.campaign_id == campaign.id, CampaignFollower.patron_id == patron.id
            )
        )
    )


# --- progress ----------------------------------------------------------------------------


# What a donation still gives: card money taken back (a refund made at the provider, a dispute, the
# refund of a missed all-or-nothing goal) is not raised.
KEPT = Donation.amount - Donation.refunded_amount - Donation.disputed_amount

# The refund of a missed all-or-nothing goal: the closing's entry moving it from the fund to card clearing.
CARD_REFUND_KIND = "donation_card_refund"
GIVEN_BACK_AT_DEADLINE = (
    select(func.coalesce(-func.sum(Posting.amount), 0))
    .join(JournalEntry, JournalEntry.id == Posting.entry_id)
    .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
    .where(JournalEntry.kind == CARD_REFUND_KIND, LedgerAccount.kind == "card_clearing")
)
# A campaign's progress after a missed goal still shows what was raised by the deadline: the donation
# counts that refund as given back (``refunded_amount``), the progress adds it back, as it counts the
# released pledges. Only settled donations are in those states: a live campaign's progress never reads it.
_GIVEN_BACK_FOR_ROW = (
    GIVEN_BACK_AT_DEADLINE.where(JournalEntry.reference == Donation.public_id).correlate(Donation).scalar_subquery()
)
RAISED = KEPT + case(
    (Donation.state.in_((DonationState.REFUND_PENDING, DonationState.REFUNDED)), _GIVEN_BACK_FOR_ROW), else_=0
)


@dataclass(frozen=True)
class Progress:
    raised: Money
    donors: int
    percent: int
    days_left: int
    goal_reached: bool


def progress_of(session: Session, campaigns: list[Campaign], now: datetime | None = None) -> dict[int, Progress]:
    """Gross progress of each campaign, in one aggregate query over its donations."""
    now = now or utcnow()
    ids = [c.id for c in campaigns]
    totals = (
        {
            cid: (int(raised), int(donors))
            for cid, raised, donors in session.execute(
                select(
                    Donation.campaign_id,
                    func.coalesce(func.sum(RAISED), 0),
                    func.count(distinct(Donation.patron_id)),
                )
                .where(Donation.campaign_id.in_(ids), Donation.state.in_(COUNTED_STATES))
                .group_by(Donation.campaign_id)
            )
        }
        if ids
        else {}
    )
    out = {}
    for campaign in campaigns:
        raised, donors = totals.get(campaign.id, (0, 0))
        seconds = (campaign.deadline - now).total_seconds()
        out[campaign.id] = Progress(
            raised=Money(raised, campaign.currency),
            donors=donors,
            percent=raised * 100 // campaign.goal if campaign.goal else 0,
            days_left=max(0, math.ceil(seconds / 86400)) if campaign.state == CampaignState.LIVE else 0,
            goal_reached=raised >= campaign.goal,
        )
    return out


def collected_amount(session: Session, campaign: Campaign) -> int:
    """What counts for the goal at the deadline: collected plus pledged (holds), gross."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(KEPT), 0)).where(
                Donation.campaign_id == campaign.id,
                Donation.state.in_((DonationState.PLEDGED, DonationState.SUCCEEDED)),
            )
        )
    )


# --- discovery ---------------------------------------------------------------------------

SORTS = ("ending_soon", "most_funded", "newest")


def _raised_expr():
    return (
        select(func.coalesce(func.sum(RAISED), 0))
        .where(Donation.campaign_id == Campaign.id, Donation.state.in_(COUNTED_STATES))
        .correlate(Campaign)
        .scalar_subquery()
    )


def discover(session: Session, args: dict) -> Page:
    """Live campaigns: of a library or network, near a point; ending soon, most funded or newest."""
    stmt = select(Campaign).where(Campaign.state == CampaignState.LIVE, Campaign.deadline > utcnow())
    if args.get("library_id"):
        stmt = stmt.where(
            Campaign.library_id == select(Library.id).where(Library.public_id == args["library_id"]).scalar_subquery()
        )
    if args.get("network_id"):
        stmt = stmt.where(
            Campaign.network_id == select(Network.id).where(Network.public_id == args["network_id"]).scalar_subquery()
        )
    if args.get("lat") is not None and args.get("lon") is not None:
        stmt = stmt.where(
            *near(Campaign.latitude, Campaign.longitude, args["lat"], args["lon"], args.get("radius_km") or 10.0)
        )
    sort = args.get("sort") or "ending_soon"
    common = dict(limit=args["limit"], starting_after=args.get("starting_after"))
    if sort == "ending_soon":
        return paginate(session, stmt, Campaign, order_by=Campaign.deadline, descending=False, **common)
    if sort == "most_funded":
        return paginate(session, stmt, Campaign, order_by=_raised_expr(), descending=True, **common)
    return paginate(session, stmt, Campaign, **common)


# Built once: every donation reads its campaign with it.
_CAMPAIGN_WITH_OWNER = (
    select(Campaign)
    .where(Campaign.public_id == bindparam("public_id"))
    .options(joinedload(Campaign.library), joinedload(Campaign.network))
)


def visible_campaign(session: Session, public_id: str) -> Campaign:
    """Any campaign but a draft (drafts exist only for their owner)."""
    # With its owner's library and network, which the campaign's page shows.
    campaign = session.scalars(_CAMPAIGN_WITH_OWNER, {"public_id": public_id}).first()
    if campaign is None or campaign.state == CampaignState.DRAFT:
        raise DomainError(NOT_FOUND)
    return campaign


def updates_of(session: Session, campaign: Campaign, args: dict) -> Page:
    return paginate(
        session,
        select(CampaignUpdate).where(CampaignUpdate.campaign_id == campaign.id),
        CampaignUpdate,
        limit=args["limit"],
        starting_after=args.get("starting_after"),
    )


def managed_list(session: Session, principal: Principal, args: dict) -> Page:
    """The campaigns of the owners the caller acts for, newest first."""
    if principal.role == "librarian":
        libraries = select(Library.id).where(Library.public_id.in_(principal.library_ids))
        networks = select(Library.network_id).where(Library.public_id.in_(principal.library_ids))
        scope = (Campaign.library_id.in_(libraries)) | (
            Campaign.library_id.is_(None) & Campaign.network_id.in_(networks)
        )
    else:
        scope = (
            Campaign.network_id == select(Network.id).where(Network.public_id == principal.network_id).scalar_subquery()
        )
    stmt = select(Campaign).where(scope)
    if args.get("state"):
        stmt = stmt.where(Campaign.state == args["state"])
    return paginate(session, stmt, Campaign, limit=args["limit"], starting_after=args.get("starting_after"))
