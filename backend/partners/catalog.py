"""Partners, venues, agreements and offers: managed by network admins, read by partners,
found by patrons (near a point, by category, venue or text, each with "am I eligible,
how many uses left, when they reset")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban
from stdnum.it import codicefiscale, iva

from backend.accounts.models import Network, Partner, PartnerVenue, Patron
from backend.auth.principal import Principal
from backend.db import get_or_404, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.finance import audit
from backend.geo import near
from backend.i18n import ROME
from backend.pagination import Page, paginate
from backend.partners import errors as e
from backend.partners.eligibility import Allowance, allowance, ineligibility, invalidity, usage
from backend.partners.models import (
    AGREEMENT_TRANSITIONS,
    OFFER_TRANSITIONS,
    Agreement,
    AgreementState,
    Offer,
    OfferState,
    offer_venues,
)
from backend.partners.scope import TillScope, managed_partner


def _tax_code(value: str) -> str:
    value = (value or "").strip().upper()
    for validator in (iva, codicefiscale):
        if validator.is_valid(value):
            return validator.compact(value)
    raise DomainError(e.INVALID_TAX_CODE, param="tax_code")


def _iban(value: str) -> str:
    if not stdnum_iban.is_valid(value or ""):
        raise DomainError(e.INVALID_IBAN, param="iban")
    return stdnum_iban.compact(value)


def _admin_network(session: Session, principal: Principal) -> Network:
    network = get_or_404(session, Network, principal.network_id)
    return network


def create_partner(session: Session, principal: Principal, data: dict) -> Partner:
    partner = Partner(
        network=_admin_network(session, principal),
        name=data["name"],
        tax_code=_tax_code(data["tax_code"]),
        iban=_iban(data["iban"]),
        contact_name=data.get("contact_name", ""),
        contact_email=data.get("contact_email", ""),
        contact_phone=data.get("contact_phone", ""),
        wallet_payments=data.get("wallet_payments", False),
    )
    session.add(partner)
    session.flush()
    return partner


def update_partner(session: Session, principal: Principal, partner_id: str, changes: dict) -> Partner:
    partner = managed_partner(session, principal, partner_id)
    if "tax_code" in changes:
        changes["tax_code"] = _tax_code(changes["tax_code"])
    if "iban" in changes:
        changes["iban"] = _iban(changes["iban"])
    before = {name: getattr(partner, name) for name in changes}
    for name, value in changes.items():
        setattr(partner, name, value)
    session.flush()
    # The IBAN decides where the settlement's money goes, wallet_payments whether the till takes wallets.
    audit.record(session, "partner.update", target=partner.public_id, before=before, after=dict(changes))
    return partner


def list_partners(session: Session, principal: Principal) -> list[Partner]:
    return list(
        session.scalars(
            select(Partner).join(Network).where(Network.public_id == principal.network_id).order_by(Partner.id)
        )
    )


def create_venue(session: Session, principal: Principal, partner_id: str, data: dict) -> PartnerVenue:
    partner = managed_partner(session, principal, partner_id)
    venue = PartnerVenue(
        network_id=partner.network_id,
        partner=partner,
        name=data["name"],
        kind=data["kind"],
        city=data.get("city", ""),
        address=data.get("address", ""),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        opening_hours=data.get("opening_hours") or {},
    )
    session.add(venue)
    session.flush()
    return venue


def create_agreement(session: Session, principal: Principal, partner_id: str, data: dict) -> Agreement:
    partner = managed_partner(session, principal, partner_id)
    network = _admin_network(session, principal)
    if data["valid_from"] > data["valid_to"]:
        raise DomainError(e.INVALID_OFFER, param="valid_to", reason="valid_to before valid_from")
    ids = data.get("eligible_network_ids") or [network.public_id]
    networks = list(session.scalars(select(Network).where(Network.public_id.in_(ids))))
    if len(networks) != len(set(ids)):
        raise DomainError(NOT_FOUND, param="eligible_network_ids")
    agreement = Agreement(
        partner=partner,
        network=network,
        title=data["title"],
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        budget_cap=data.get("budget_cap"),
        eligible_networks=networks,
    )
    session.add(agreement)
    session.flush()
    audit.record(
        session, "agreement.create", target=agreement.public_id, before=None, after=_agreement_audit(agreement)
    )
    return agreement


def _agreement_audit(agreement: Agreement) -> dict:
    """What of an agreement decides money: its partner, validity, budget cap (cents) and state."""
    return {
        "partner": agreement.partner.public_id,
        "title": agreement.title,
        "valid_from": agreement.valid_from.isoformat(),
        "valid_to": agreement.valid_to.isoformat(),
        "budget_cap": agreement.budget_cap,
        "currency": agreement.currency,
        "eligible_networks": [network.public_id for network in agreement.eligible_networks],
        "state": str(agreement.state),
    }


def _offer_audit(offer: Offer) -> dict:
    return {
        "agreement": offer.agreement.public_id,
        "title": offer.title_it,
        "benefit_kind": offer.benefit_kind,
        "benefit_value": offer.benefit_value,
        "bearer": offer.bearer,
        "reimbursement_rule": offer.reimbursement_rule,
        "reimbursement_value": offer.reimbursement_value,
        "valid_from": offer.valid_from.isoformat(),
        "valid_to": offer.valid_to.isoformat(),
        "venues": [venue.public_id for venue in offer.venues],
        "state": str(offer.state),
    }


def _managed_agreement(session: Session, principal: Principal, agreement_id: str) -> Agreement:
    agreement = get_or_404(session, Agreement, agreement_id, param="agreement_id")
    if agreement.network.public_id != principal.network_id:
        raise DomainError(NOT_FOUND, param="agreement_id")
    return agreement


def create_offer(session: Session, principal: Principal, agreement_id: str, data: dict) -> Offer:
    agreement = _managed_agreement(session, principal, agreement_id)
    venues = list(
        session.scalars(
            select(PartnerVenue).where(
                PartnerVenue.public_id.in_(data["venue_ids"]), PartnerVenue.partner_id == agreement.partner_id
            )
        )
    )
    if not venues or len(venues) != len(set(data["venue_ids"])):
        raise DomainError(NOT_FOUND, param="venue_ids")
    if data["valid_from"] > data["valid_to"]:
        raise DomainError(e.INVALID_OFFER, param="valid_to", reason="valid_to before valid_from")
    kind, value = data["benefit_kind"], data.get("benefit_value", 0)
    if kind == "percent_off" and not 1 <= value <= 100:
        raise DomainError(e.INVALID_OFFER, param="benefit_value", reason="percent from 1 to 100")
    if kind == "amount_off" and value <= 0:
        raise DomainError(e.INVALID_OFFER, param="benefit_value", reason="an amount")
    bearer, rule = data.get("bearer", "partner"), data.get("reimbursement_rule")
    if (bearer == "network") != (rule is not None):
        raise DomainError(
            e.INVALID_OFFER,
            param="reimbursement_rule",
            reason="a reimbursement rule exactly when the network bears the benefit",
        )
    if rule == "percent" and not 1 <= data.get("reimbursement_value", 0) <= 100:
        raise DomainError(e.INVALID_OFFER, param="reimbursement_value", reason="percent from 1 to 100")
    fields = (
        "title_it",
        "title_en",
        "conditions_it",
        "conditions_en",
        "category",
        "benefit_kind",
        "benefit_value",
        "max_quantity",
        "weekdays",
        "time_from",
        "time_to",
        "valid_from",
        "valid_to",
        "network_ids",
        "library_ids",
        "age_bands",
        "requires_supporter_card",
        "per_patron_day",
        "per_patron_week",
        "per_patron_month",
        "per_patron_total",
        "total_limit",
        "bearer",
        "reimbursement_rule",
        "reimbursement_value",
    )
    offer = Offer(agreement=agreement, venues=venues, **{name: data[name] for name in fields if name in data})
    if kind == "two_for_one" and "max_quantity" not in data:
        offer.max_quantity = 2
    session.add(offer)
    session.flush()
    audit.record(session, "offer.create", target=offer.public_id, before=None, after=_offer_audit(offer))
    return offer


def _revoke(session: Session, thing, transitions, target, now: datetime) -> None:
    transitions.check(type(target)(thing.state), target, state=thing.state)
    thing.state, thing.revoked_at = target, now
    session.flush()


def revoke_agreement(
    session: Session, principal: Principal, agreement_id: str, now: datetime | None = None
) -> Agreement:
    agreement = _managed_agreement(session, principal, agreement_id)
    before = _agreement_audit(agreement)
    _revoke(session, agreement, AGREEMENT_TRANSITIONS, AgreementState.REVOKED, now or utcnow())
    audit.record(
        session, "agreement.revoke", target=agreement.public_id, before=before, after=_agreement_audit(agreement)
    )
    return agreement


def revoke_offer(session: Session, principal: Principal, offer_id: str, now: datetime | None = None) -> Offer:
    offer = get_or_404(session, Offer, offer_id, param="offer_id")
    _managed_agreement(session, principal, offer.agreement.public_id)
    before = _offer_audit(offer)
    _revoke(session, offer, OFFER_TRANSITIONS, OfferState.REVOKED, now or utcnow())
    audit.record(session, "offer.revoke", target=offer.public_id, before=before, after=_offer_audit(offer))
    return offer


def agreements_for(session: Session, principal: Principal, scope: TillScope | None) -> list[Agreement]:
    """Partner staff: their partner's agreements; admins and finance: their network's."""
    stmt = select(Agreement).order_by(Agreement.id)
    if scope is not None:
        stmt = stmt.where(Agreement.partner_id == scope.partner.id)
    else:
        stmt = stmt.join(Network, Network.id == Agreement.network_id).where(Network.public_id == principal.network_id)
    return list(session.scalars(stmt))


def till_offers(
    session: Session, scope: TillScope, venue: PartnerVenue | None = None, at: datetime | None = None
) -> list[Offer]:
    """Offers a till can apply today (the console's choice list)."""
    today = (at or utcnow()).astimezone(ROME).date()
    stmt = (
        select(Offer)
        .join(Agreement)
        .where(
            Agreement.partner_id == scope.partner.id,
            Offer.state == OfferState.ACTIVE,
            Agreement.state == AgreementState.ACTIVE,
            Offer.valid_from <= today,
            Offer.valid_to >= today,
        )
        .order_by(Offer.id)
    )
    if venue is not None:
        stmt = stmt.where(Offer.id.in_(select(offer_venues.c.offer_id).where(offer_venues.c.venue_id == venue.id)))
    return list(session.scalars(stmt))


# --- the patron's view ---------------------------------------------------------------------


@dataclass
class OfferForPatron:
    offer: Offer
    eligible: bool
    ineligible_reason: str | None
    allowance: Allowance
    valid_now: bool


def _for_patron(session: Session, offer: Offer, patron: Patron, at: datetime) -> OfferForPatron:
    reason = ineligibility(session, offer, patron, at)
    room = allowance(offer, usage(session, patron.id, offer, at), at)
    return OfferForPatron(offer, reason is None, reason, room, invalidity(offer, at) is None)


def search_offers(session: Session, patron: Patron, args: dict, now: datetime | None = None) -> Page:
    now = now or utcnow()
    today = now.astimezone(ROME).date()
    stmt = (
        select(Offer)
        .join(Agreement)
        .where(
            Offer.state == OfferState.ACTIVE,
            Agreement.state == AgreementState.ACTIVE,
            Offer.valid_to >= today,
            Agreement.valid_to >= today,
            Agreement.id.in_(
                select(Agreement.id).join(Agreement.eligible_networks).where(Network.id == patron.home_network_id)
            ),
        )
    )
    if args.get("category"):
        stmt = stmt.where(Offer.category == args["category"])
    venue_filter = []
    if args.get("venue_id"):
        venue_filter.append(PartnerVenue.public_id == args["venue_id"])
    if args.get("lat") is not None and args.get("lon") is not None:
        venue_filter += near(
            PartnerVenue.latitude, PartnerVenue.longitude, args["lat"], args["lon"], args.get("radius_km") or 10.0
        )
    if venue_filter:
        stmt = stmt.where(
            Offer.id.in_(
                select(offer_venues.c.offer_id)
                .join(PartnerVenue, PartnerVenue.id == offer_venues.c.venue_id)
                .where(*venue_filter)
            )
        )
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.where(
            or_(
                Offer.title_it.ilike(like),
                Offer.title_en.ilike(like),
                Offer.conditions_it.ilike(like),
                Offer.conditions_en.ilike(like),
            )
        )
    page = paginate(
        session, stmt, Offer, limit=args.get("limit", 20), starting_after=args.get("starting_after"), descending=False
    )
    page.data = [_for_patron(session, offer, patron, now) for offer in page.data]
    return page


def offer_for_patron(session: Session, patron: Patron, offer_id: str, now: datetime | None = None) -> OfferForPatron:
    now = now or utcnow()
    offer = get_or_404(session, Offer, offer_id, param="offer_id")
    if patron.home_network_id not in {n.id for n in offer.agreement.eligible_networks}:
        raise DomainError(NOT_FOUND, param="offer_id")
    return _for_patron(session, offer, patron, now)


def today_in_rome(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ROME).date()
