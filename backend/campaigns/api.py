"""HTTP layer of +Teca (``/v1/campaigns``): discovery, donations, recurring donations, supporter
cards and receipts for patrons; ``/v1/campaigns/manage…`` for the owners' staff."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from backend.accounts.models import Network
from backend.accounts.services import person_of
from backend.campaigns import closing, receipts, recurring, services, supporter, wall
from backend.campaigns import donations as giving
from backend.campaigns import schemas as s
from backend.campaigns.errors import DONATION_NOT_PAYABLE, SUPPORTER_CARD_NOT_SOLD
from backend.campaigns.models import (
    Campaign,
    Donation,
    DonationState,
    RecurringDonation,
    SupporterCard,
)
from backend.db import get_or_404, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.money import Money
from backend.pagination import PageArgsSchema, page_schema, paginate
from backend.receipts.http import RECEIPT_RESPONSES, ReceiptFormatArgs, receipt_response
from backend.topups.provider import get_provider
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, current_person, current_principal, public, require_principal
from backend.web.settings import current_settings
from payments.sandbox import SandboxProvider

blp = Blueprint(
    "campaigns",
    __name__,
    url_prefix="/v1/campaigns",
    description="+Teca: fundraising campaigns of libraries and networks, donations, supporter cards",
)
STAFF = ("librarian", "admin")


# --- presenting -------------------------------------------------------------------------------


def present_campaigns(campaigns: list[Campaign], *, patron=None) -> list[dict]:
    progress = services.progress_of(db.session, campaigns)
    out = []
    for campaign in campaigns:
        p = progress[campaign.id]
        out.append(
            {
                "public_id": campaign.public_id,
                "state": campaign.state,
                "owner": {
                    "network_id": campaign.network.public_id,
                    "library_id": campaign.library.public_id if campaign.library else None,
                    "name": campaign.owner_name,
                },
                **{
                    k: getattr(campaign, k)
                    for k in (
                        "title",
                        "story",
                        "images",
                        "good_causes",
                        "model",
                        "deadline",
                        "art_bonus",
                        "art_bonus_beneficiary",
                        "art_bonus_purpose",
                        "latitude",
                        "longitude",
                        "final_report",
                        "launched_at",
                    )
                },
                "progress": {
                    "raised": p.raised,
                    "goal": Money(campaign.goal, campaign.currency),
                    "donors": p.donors,
                    "percent": p.percent,
                    "days_left": p.days_left,
                    "goal_reached": p.goal_reached,
                },
                "following": services.is_following(db.session, campaign, patron) if patron is not None else None,
            }
        )
    return out


def present_donation(donation: Donation, *, just_made: bool = False, campaign_public_id: str | None = None) -> Donation:
    """``just_made``: created by this request, so it has no receipt yet (the receipts job numbers them).

    ``campaign_public_id``: the campaign's, when the caller knows it (no campaign object to load).
    """
    receipt = None if just_made else receipts.receipt_of(db.session, donation)
    donation.receipt_number = receipt.number if receipt else None
    donation.art_bonus_eligible = (
        Money(donation.kept_eligible, donation.currency)
        if donation.eligible_amount is not None and donation.art_bonus_requested
        else None
    )
    donation.campaign_public_id = campaign_public_id or (donation.campaign.public_id if donation.campaign else None)
    return donation


def _donation_body(donation: Donation, *, just_made: bool = False, campaign_public_id: str | None = None) -> dict:
    d = present_donation(donation, just_made=just_made, campaign_public_id=campaign_public_id)
    return {
        **{
            k: getattr(d, k)
            for k in (
                "public_id",
                "purpose",
                "money",
                "method",
                "state",
                "visibility",
                "message",
                "message_status",
                "art_bonus_requested",
                "art_bonus_eligible",
                "receipt_number",
                "created_at",
            )
        },
        "campaign_id": d.campaign_public_id,
    }


def _started_body(started: giving.StartedDonation) -> dict:
    sheet = None
    if started.intent is not None:
        sheet = {
            "provider": get_provider(current_app).name,
            "publishable_key": started.publishable_key,
            "payment_intent_client_secret": started.intent.client_secret,
            "customer_id": started.customer_id,
            "customer_session_client_secret": started.customer_session_client_secret,
        }
    body = _donation_body(started.donation, just_made=True, campaign_public_id=started.campaign_public_id)
    return {"donation": body, "payment_sheet": sheet}


def _card_body(card: SupporterCard | None) -> dict | None:
    if card is None:
        return None
    now = utcnow()
    return {
        "public_id": card.public_id,
        "network_id": card.network.public_id,
        "network_name": card.network.name,
        "valid_from": card.valid_from,
        "valid_until": card.valid_until,
        "valid_now": card.valid_from <= now < card.valid_until,
        "donation_id": card.donation.public_id,
    }


def _recurring_body(r: RecurringDonation) -> dict:
    return {
        "public_id": r.public_id,
        "campaign_id": r.campaign.public_id,
        "amount": Money(r.amount, r.currency),
        "interval": r.interval,
        "visibility": r.visibility,
        "state": r.state,
        "art_bonus": r.art_bonus_requested,
        "next_run_at": r.next_run_at,
        "failures": r.failures,
    }


# --- discovery (public) ---------------------------------------------------------------------------


@blp.route("")
class Campaigns(MethodView):
    @public
    @blp.arguments(s.DiscoverArgsSchema, location="query")
    @blp.response(200, page_schema(s.CampaignSchema))
    @blp.doc(summary="Live campaigns: of a library or network, near a point; ending soon, most funded or newest")
    def get(self, args):
        page = services.discover(db.session, args)
        page.data = present_campaigns(page.data)
        return page


@blp.route("/<campaign_id>")
class CampaignById(MethodView):
    @public
    @blp.response(200, s.CampaignSchema)
    @blp.doc(summary="One campaign with its live progress (raised, donors, percent, days left)")
    def get(self, campaign_id):
        principal = current_principal()
        patron = person_of(db.session, principal) if principal is not None and principal.is_patron else None
        return present_campaigns([services.visible_campaign(db.session, campaign_id)], patron=patron)[0]


add_error_responses(CampaignById.get, 404)


@blp.route("/<campaign_id>/donors")
class DonorWall(MethodView):
    @public
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.WallEntrySchema))
    @blp.doc(
        summary="The donor wall, newest first: each donor's choice of name and amount, name only or anonymous; "
        "entries have their own ids (wall_…), which page it"
    )
    def get(self, args, campaign_id):
        return wall.wall(db.session, services.visible_campaign(db.session, campaign_id), args)


add_error_responses(DonorWall.get, 404)


@blp.route("/<campaign_id>/updates")
class CampaignUpdates(MethodView):
    @public
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.CampaignUpdateSchema))
    @blp.doc(summary="The owner's news and results, newest first")
    def get(self, args, campaign_id):
        return services.updates_of(db.session, services.visible_campaign(db.session, campaign_id), args)


add_error_responses(CampaignUpdates.get, 404)


@blp.route("/<campaign_id>/follow")
class Follow(MethodView):
    @allow("patron")
    @blp.response(204)
    @blp.doc(summary='Follow a campaign: its news arrive as notifications ("campaign news" preference)')
    def post(self, campaign_id):
        services.follow(db.session, services.visible_campaign(db.session, campaign_id), current_person())

    @allow("patron")
    @blp.response(204)
    @blp.doc(summary="Stop following a campaign")
    def delete(self, campaign_id):
        services.unfollow(db.session, services.visible_campaign(db.session, campaign_id), current_person())


add_error_responses(Follow.post, 404)
add_error_responses(Follow.delete, 404)


# --- donating (patrons) -------------------------------------------------------------------------------


@blp.route("/<campaign_id>/donations")
class Donate(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.DonationRequestSchema)
    @blp.response(201, s.StartedDonationSchema)
    @blp.doc(
        summary="Donate: from the wallet at once (a hold until the deadline for all-or-nothing), or by card "
        "(returns the payment sheet; the donation counts once the card provider confirms it)"
    )
    def post(self, data, campaign_id):
        reads = giving.giving_to(db.session, campaign_id, require_principal().subject)
        started = giving.donate(
            db.session,
            current_settings(),
            reads.donor,
            reads.campaign,
            data["amount"],
            method=data["method"],
            visibility=data["visibility"],
            message=data["message"],
            art_bonus=data["art_bonus"],
            tax_code=data["tax_code"],
            provider=get_provider(current_app) if data["method"] == "card" else None,
            accounts=reads.accounts,
        )
        return _started_body(started)


add_error_responses(Donate.post, 404, 422, 503)


@blp.route("/<campaign_id>/recurring")
class StartRecurring(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.RecurringRequestSchema)
    @blp.response(201, s.RecurringSchema)
    @blp.doc(
        summary="A monthly or yearly donation from the wallet (the first one is taken within minutes); "
        "`art_bonus` + `tax_code` give each of its donations an Art Bonus receipt"
    )
    def post(self, data, campaign_id):
        campaign = services.visible_campaign(db.session, campaign_id)
        return _recurring_body(
            recurring.start(
                db.session,
                current_settings(),
                current_person(),
                campaign,
                data["amount"],
                interval=data["interval"],
                visibility=data["visibility"],
                art_bonus=data["art_bonus"],
                tax_code=data["tax_code"],
            )
        )


add_error_responses(StartRecurring.post, 404, 422)


@blp.route("/donations")
class MyDonations(MethodView):
    @allow("patron")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.DonationSchema))
    @blp.doc(summary="My donations, newest first")
    def get(self, args):
        page = paginate(db.session, select(Donation).where(Donation.patron_id == current_person().id), Donation, **args)
        page.data = [_donation_body(d) for d in page.data]
        return page


@blp.route("/donations/summary")
class MySummary(MethodView):
    @allow("patron")
    @blp.arguments(s.SummaryArgsSchema, location="query")
    @blp.response(200, s.SummarySchema)
    @blp.doc(
        summary="My donations of a year (Europe/Rome) with receipt numbers and the Art Bonus eligible total, "
        "for the tax return"
    )
    def get(self, args):
        return receipts.donor_summary(db.session, current_person(), args["year"])


@blp.route("/donations/<donation_id>")
class MyDonation(MethodView):
    @allow("patron")
    @blp.response(200, s.DonationSchema)
    @blp.doc(summary="One of my donations (poll it after the payment sheet closes)")
    def get(self, donation_id):
        return _donation_body(get_or_404(db.session, Donation, donation_id, patron_id=current_person().id))


add_error_responses(MyDonation.get, 404)


@blp.route("/donations/<donation_id>/receipt")
class DonationReceiptView(MethodView):
    @allow("patron")
    @blp.arguments(ReceiptFormatArgs, location="query")
    @blp.doc(
        responses=RECEIPT_RESPONSES,
        summary="The receipt of a collected donation (HTML or PDF; numbered now if not yet)",
    )
    def get(self, args, donation_id):
        donation = get_or_404(db.session, Donation, donation_id, patron_id=current_person().id)
        return receipt_response(
            receipts.issue_receipt(db.session, donation), args, html=receipts.render_html, pdf=receipts.render_pdf
        )


add_error_responses(DonationReceiptView.get, 404, 409)


@blp.route("/donations/<donation_id>/sandbox-payment")
class SandboxPayment(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.SandboxPayArgs)
    @blp.response(200, s.DonationSchema)
    @blp.doc(summary="Demo only (sandbox provider): pay a card donation as the payment sheet would")
    def post(self, args, donation_id):
        provider = get_provider(current_app)
        if not isinstance(provider, SandboxProvider):
            raise DomainError(NOT_FOUND)
        donation = get_or_404(db.session, Donation, donation_id, patron_id=current_person().id)
        if donation.state not in (DonationState.PENDING, DonationState.FAILED) or not donation.intent_id:
            raise DomainError(DONATION_NOT_PAYABLE)
        from backend.topups.services import receive_webhook

        body, signature = provider.pay(provider.retrieve_intent(donation.intent_id), succeed=args["succeed"])
        receive_webhook(db.session, provider, body, signature)
        db.session.refresh(donation)
        return _donation_body(donation)


add_error_responses(SandboxPayment.post, 404, 409)


@blp.route("/recurring")
class MyRecurring(MethodView):
    @allow("patron")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.RecurringSchema))
    @blp.doc(summary="My recurring donations, newest first")
    def get(self, args):
        page = paginate(
            db.session,
            select(RecurringDonation).where(RecurringDonation.patron_id == current_person().id),
            RecurringDonation,
            **args,
        )
        page.data = [_recurring_body(r) for r in page.data]
        return page


@blp.route("/recurring/<recurring_id>/stop")
class StopRecurring(MethodView):
    @allow("patron")
    @blp.response(200, s.RecurringSchema)
    @blp.doc(summary="Stop a recurring donation (for good)")
    def post(self, recurring_id):
        return _recurring_body(recurring.stop(db.session, recurring.mine(db.session, current_person(), recurring_id)))


add_error_responses(StopRecurring.post, 404, 422)


@blp.route("/recurring/<recurring_id>/resume")
class ResumeRecurring(MethodView):
    @allow("patron")
    @blp.response(200, s.RecurringSchema)
    @blp.doc(summary="Resume a paused recurring donation (the missed charge is taken within minutes)")
    def post(self, recurring_id):
        return _recurring_body(recurring.resume(db.session, recurring.mine(db.session, current_person(), recurring_id)))


add_error_responses(ResumeRecurring.post, 404, 422)


# --- supporter cards -------------------------------------------------------------------------------------


@blp.route("/supporter-cards")
class SupporterCards(MethodView):
    @allow("patron")
    @blp.response(200, s.SupporterCardListSchema)
    @blp.doc(summary="My supporter cards, latest first (a renewal starts when the previous card ends)")
    def get(self):
        return {"data": [_card_body(c) for c in supporter.cards_of(db.session, current_person())]}

    @allow("patron")
    @idempotent
    @blp.arguments(s.SupporterCardRequestSchema)
    @blp.response(201, s.StartedSupporterCardSchema)
    @blp.doc(
        summary="Buy or renew a network's supporter card (12 months), from the wallet or by card; "
        "it counts as a donation to the network's +Teca fund"
    )
    def post(self, data):
        started = supporter.buy(
            db.session,
            get_provider(current_app) if data["method"] == "card" else None,
            current_person(),
            data["network_id"],
            method=data["method"],
        )
        card = db.session.scalar(select(SupporterCard).where(SupporterCard.donation_id == started.donation.id))
        return {**_started_body(started), "card": _card_body(card)}


add_error_responses(SupporterCards.post, 404, 422, 503)


@blp.route("/supporter-cards/plans/<network_id>")
class SupporterPlan(MethodView):
    @public
    @blp.response(200, s.PlanSchema)
    @blp.doc(summary="A network's supporter card: price and whether it is sold")
    def get(self, network_id):
        network = get_or_404(db.session, Network, network_id)
        plan = supporter.plan_of(db.session, network)
        if plan is None:
            raise DomainError(SUPPORTER_CARD_NOT_SOLD)
        return {"network_id": network.public_id, "price": Money(plan.price, plan.currency), "active": plan.active}

    @allow("admin")
    @blp.arguments(s.PlanInSchema)
    @blp.response(200, s.PlanSchema)
    @blp.doc(summary="Set my network's supporter card price (admins)")
    def put(self, data, network_id):
        principal = require_principal()
        network = get_or_404(db.session, Network, network_id)
        if network.public_id != principal.network_id:
            raise DomainError(NOT_FOUND)
        plan = supporter.set_plan(db.session, network, data["price"], data["active"])
        return {"network_id": network.public_id, "price": Money(plan.price, plan.currency), "active": plan.active}


add_error_responses(SupporterPlan.get, 404, 422)
add_error_responses(SupporterPlan.put, 404)


# --- owners' staff ---------------------------------------------------------------------------------------


@blp.route("/manage")
class Manage(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ManageListArgsSchema, location="query")
    @blp.response(200, page_schema(s.CampaignSchema))
    @blp.doc(summary="Campaigns of the libraries (and networks) I act for, newest first")
    def get(self, args):
        page = services.managed_list(db.session, require_principal(), args)
        page.data = present_campaigns(page.data)
        return page

    @allow(*STAFF)
    @blp.arguments(s.CampaignCreateSchema)
    @blp.response(201, s.CampaignSchema)
    @blp.doc(summary="Create a campaign (a draft) for one of my libraries, or for my network (admins)")
    def post(self, data):
        return present_campaigns([services.create_campaign(db.session, require_principal(), data)])[0]


add_error_responses(Manage.post, 404, 422)


@blp.route("/manage/<campaign_id>")
class ManageOne(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.CampaignSchema)
    @blp.doc(summary="One of my campaigns, drafts included")
    def get(self, campaign_id):
        return present_campaigns([services.managed_campaign(db.session, require_principal(), campaign_id)])[0]

    @allow(*STAFF)
    @blp.arguments(s.CampaignEditSchema)
    @blp.response(200, s.CampaignSchema)
    @blp.doc(summary="Edit a campaign: goal, deadline, model and Art Bonus only while it is a draft")
    def patch(self, data, campaign_id):
        campaign = services.managed_campaign(db.session, require_principal(), campaign_id)
        return present_campaigns([services.edit_campaign(db.session, campaign, data)])[0]


add_error_responses(ManageOne.get, 404)
add_error_responses(ManageOne.patch, 404, 422)


@blp.route("/manage/<campaign_id>/launch")
class Launch(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.CampaignSchema)
    @blp.doc(summary="Launch a draft: it goes live, goal and deadline are fixed")
    def post(self, campaign_id):
        campaign = services.managed_campaign(db.session, require_principal(), campaign_id)
        return present_campaigns([services.launch(db.session, campaign)])[0]


add_error_responses(Launch.post, 404, 422)


@blp.route("/manage/<campaign_id>/updates")
class PostUpdate(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.CampaignUpdateInSchema)
    @blp.response(201, s.CampaignUpdateSchema)
    @blp.doc(
        summary="Post news or results; followers and donors are notified. `final_report` (after the "
        "deadline) closes the campaign"
    )
    def post(self, data, campaign_id):
        principal = require_principal()
        campaign = services.managed_campaign(db.session, principal, campaign_id)
        return services.post_update(
            db.session,
            campaign,
            person_of(db.session, principal),
            body=data["body"],
            image_url=data.get("image_url"),
            results=data["results"],
            final_report=data["final_report"],
        )


add_error_responses(PostUpdate.post, 404, 422)


@blp.route("/manage/<campaign_id>/donations")
class ManageDonations(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.StaffDonationArgsSchema, location="query")
    @blp.response(200, page_schema(s.StaffDonationSchema))
    @blp.doc(summary="Donations to one of my campaigns, newest first (anonymous donors without name)")
    def get(self, args, campaign_id):
        return wall.staff_list(
            db.session, services.managed_campaign(db.session, require_principal(), campaign_id), args
        )


add_error_responses(ManageDonations.get, 404)


@blp.route("/manage/donations/<donation_id>/moderation")
class Moderate(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ModerationSchema)
    @blp.response(200, s.StaffDonationSchema)
    @blp.doc(summary="Approve (show on the wall) or reject a donor's message")
    def post(self, data, donation_id):
        principal = require_principal()
        donation = get_or_404(db.session, Donation, donation_id)
        if donation.campaign is None or not services.may_manage(db.session, principal, donation.campaign):
            raise DomainError(NOT_FOUND)
        return wall.staff_entry(wall.moderate(db.session, donation, data["approve"]))


add_error_responses(Moderate.post, 404, 422)


@blp.route("/manage/art-bonus-report")
class ArtBonusReport(MethodView):
    @allow("librarian", "admin", "finance")
    @blp.arguments(s.ReportArgsSchema, location="query")
    @blp.response(200, s.ReportSchema)
    @blp.doc(
        summary="Art Bonus donations a library (or network) received in a month (Europe/Rome): the data "
        "it must report, with donors' names and codice fiscale"
    )
    def get(self, args):
        principal = require_principal()
        if args.get("library_id"):
            network, library = services.owner_for(db.session, principal, library_id=args["library_id"], network_id=None)
        else:
            network = get_or_404(db.session, Network, args["network_id"])
            if principal.role not in ("admin", "finance") or network.public_id != principal.network_id:
                raise DomainError(NOT_FOUND)
            library = None
        return receipts.art_bonus_report(db.session, network, library, args["year"], args["month"])


add_error_responses(ArtBonusReport.get, 404)

blueprints = [blp]

__all__ = ["blueprints", "closing"]
