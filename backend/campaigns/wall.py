"""Who gave: the donor wall (public) and the owner's list of donations (staff).

The donor's choice decides what anyone else sees: name and amount, name only,
or nothing that identifies them (anonymous). Anonymous donations carry no name,
no patron id and no card in any listing, for the public or for staff (finance's
journal shows the patron's side of their entries as ``wallet:anonymous``,
``backend.finance.reports``); the one
exception is the owner's monthly Art Bonus report, for donors who asked for an
Art Bonus receipt (the tax declaration needs them; ``backend.campaigns.receipts``).
Messages appear on the wall only once the owner approved them.

The wall names its entries by their own id (``wall_…``, ``Donation.wall_public_id``),
which is also its cursor, never by the donation's ``don_…`` id: that one is known to
finance (the journal's references), receipts, reconciliation and the card provider,
and any list that puts a patron beside it would tell who gave an anonymous entry.
The owner's list and moderation (staff) keep the donation's own id.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.campaigns.errors import NO_MESSAGE
from backend.campaigns.models import (
    COUNTED_STATES,
    MESSAGE_TRANSITIONS,
    Campaign,
    Donation,
    MessageStatus,
    Visibility,
)
from backend.db import utcnow
from backend.errors import DomainError
from backend.pagination import Page, paginate


def public_name(donation: Donation) -> str | None:
    """ "Giulia B.": first name and initial, unless the donor chose to be anonymous."""
    if donation.visibility == Visibility.ANONYMOUS:
        return None
    patron = donation.patron
    initial = f" {patron.last_name[:1]}." if patron.last_name else ""
    return f"{patron.first_name}{initial}"


def wall_entry(donation: Donation) -> dict:
    return {
        "id": donation.wall_public_id,
        "donor_name": public_name(donation),
        "anonymous": donation.visibility == Visibility.ANONYMOUS,
        "amount": donation.money if donation.visibility != Visibility.NAME_ONLY else None,
        "message": donation.message if donation.message_status == MessageStatus.APPROVED else None,
        "created_at": donation.created_at,
    }


def wall(session: Session, campaign: Campaign, args: dict) -> Page:
    page = paginate(
        session,
        select(Donation).where(Donation.campaign_id == campaign.id, Donation.state.in_(COUNTED_STATES)),
        Donation,
        limit=args["limit"],
        starting_after=args.get("starting_after"),
        cursor=Donation.wall_public_id,
    )
    page.data = [wall_entry(d) for d in page.data]
    return page


def staff_entry(donation: Donation) -> dict:
    anonymous = donation.visibility == Visibility.ANONYMOUS
    return {
        "id": donation.public_id,
        "donor_name": None if anonymous else donation.patron.display_name,
        "visibility": donation.visibility,
        "amount": donation.money,
        "method": donation.method,
        "state": donation.state,
        "message": donation.message,
        "message_status": donation.message_status,
        "art_bonus_requested": donation.art_bonus_requested,
        "created_at": donation.created_at,
    }


def staff_list(session: Session, campaign: Campaign, args: dict) -> Page:
    stmt = select(Donation).where(Donation.campaign_id == campaign.id)
    if args.get("state"):
        stmt = stmt.where(Donation.state == args["state"])
    if args.get("message_status"):
        stmt = stmt.where(Donation.message_status == args["message_status"])
    page = paginate(session, stmt, Donation, limit=args["limit"], starting_after=args.get("starting_after"))
    page.data = [staff_entry(d) for d in page.data]
    return page


def moderate(session: Session, donation: Donation, approve: bool) -> Donation:
    if donation.message_status == MessageStatus.NONE:
        raise DomainError(NO_MESSAGE)
    target = MessageStatus.APPROVED if approve else MessageStatus.REJECTED
    if donation.message_status == target:
        return donation
    changed = session.execute(
        update(Donation)
        .where(Donation.id == donation.id, Donation.message_status.in_(MESSAGE_TRANSITIONS.sources_of(target)))
        .values(message_status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(donation)
    if changed != 1:
        MESSAGE_TRANSITIONS.check(donation.message_status, target)
    return donation


def export_mine(session: Session, patron) -> dict:
    """The patron's part of ``GET /v1/me/export``: their donations, recurring donations and supporter cards."""
    from backend.campaigns.models import RecurringDonation, SupporterCard
    from backend.schema_fields import utc_timestamp

    def iso(moment):
        return utc_timestamp(moment) if moment else None

    donations = session.scalars(select(Donation).where(Donation.patron_id == patron.id).order_by(Donation.id))
    return {
        "donations": [
            {
                "id": d.public_id,
                "campaign": d.campaign.title if d.campaign else None,
                "purpose": d.purpose,
                "amount": d.money.as_dict(),
                "method": d.method,
                "state": d.state,
                "visibility": d.visibility,
                "message": d.message,
                "art_bonus": d.art_bonus_requested,
                "tax_code": d.tax_code,
                "created_at": iso(d.created_at),
            }
            for d in donations
        ],
        "recurring_donations": [
            {
                "id": r.public_id,
                "campaign": r.campaign.title,
                "amount": r.amount,
                "interval": r.interval,
                "state": r.state,
                "art_bonus": r.art_bonus_requested,
                "tax_code": r.tax_code,
            }
            for r in session.scalars(
                select(RecurringDonation).where(RecurringDonation.patron_id == patron.id).order_by(RecurringDonation.id)
            )
        ],
        "supporter_cards": [
            {
                "id": c.public_id,
                "network": c.network.name,
                "valid_from": iso(c.valid_from),
                "valid_until": iso(c.valid_until),
            }
            for c in session.scalars(
                select(SupporterCard).where(SupporterCard.patron_id == patron.id).order_by(SupporterCard.id)
            )
        ],
    }


def _register_export() -> None:
    from backend.accounts.privacy import register_exporter

    register_exporter("campaigns", export_mine)


_register_export()
