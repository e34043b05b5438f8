"""Console pages of +Teca for the owners' librarians: campaigns, their donations and messages, the Art Bonus report.

The same services as the API (``backend.campaigns.services``), so the same
rules: staff of the owner only (another library's campaign is a 404), goal and
deadline editable only in draft, anonymous donors shown without a name. A
refused form renders the page again with the reason and a 4xx status, so the
unit of work rolls back.
"""

from __future__ import annotations

from datetime import datetime

from flask import redirect, request, url_for
from sqlalchemy import select

from backend.accounts.models import Library, Network
from backend.campaigns import receipts, services, wall
from backend.campaigns.models import Campaign, Donation, FundingModel
from backend.console.access import bp, console_person, console_principal, language, register_link, render, staff_page
from backend.console.forms import parse_amount
from backend.db import utcnow
from backend.errors import DomainError
from backend.events.times import to_utc
from backend.i18n import ROME, Text
from backend.money import Money
from backend.schema_fields import MAX_YEAR, MIN_YEAR
from backend.web.database import db

STAFF = ("librarian", "admin")
# The Art Bonus report's years, as the API's (``schemas.ReportArgsSchema``).
REPORT_YEARS = (2000, 2100)

T = {
    "title": Text(it="Campagne +Teca", en="+Teca campaigns"),
    "not_found": Text(
        it="Non trovata, o non è di una tua biblioteca.", en="Not found, or not in one of your libraries."
    ),
    "created": Text(it="Bozza creata: controllala e lanciala.", en="Draft created: check it and launch it."),
    "launched": Text(
        it="Campagna lanciata: obiettivo e scadenza sono fissati.", en="Campaign launched: goal and deadline are fixed."
    ),
    "posted": Text(
        it="Aggiornamento pubblicato e notificato a sostenitori e donatori.",
        en="Update posted and sent to followers and donors.",
    ),
    "moderated": Text(it="Messaggio aggiornato.", en="Message updated."),
    "bad_deadline": Text(
        it=f"Scadenza non valida: usa la forma 2026-12-31 23:59 (anni {MIN_YEAR}–{MAX_YEAR}).",
        en=f"Invalid deadline: use the form 2026-12-31 23:59 (years {MIN_YEAR}–{MAX_YEAR}).",
    ),
    "bad_model": Text(
        it="Modello non valido: scegli «tieni tutto» o «tutto o niente».",
        en="Invalid model: choose “keep it all” or “all or nothing”.",
    ),
    "title_required": Text(it="Dai un titolo alla campagna.", en="Give the campaign a title."),
    "body_required": Text(
        it="Scrivi il testo dell'aggiornamento: uno vuoto non si pubblica.",
        en="Write the update's text: an empty one is not posted.",
    ),
    "bad_moderation": Text(
        it="Scegli se approvare o rifiutare il messaggio.", en="Choose whether to approve or reject the message."
    ),
    "report": Text(it="Rapporto Art Bonus", en="Art Bonus report"),
    "bad_period": Text(
        it=f"Periodo non valido: l'anno va da {REPORT_YEARS[0]} a {REPORT_YEARS[1]}, il mese da 1 a 12.",
        en=f"Not a valid period: the year goes from {REPORT_YEARS[0]} to {REPORT_YEARS[1]}, the month from 1 to 12.",
    ),
}
STATES = {
    "draft": Text(it="bozza", en="draft"),
    "live": Text(it="in corso", en="live"),
    "funded": Text(it="obiettivo raggiunto", en="funded"),
    "not_funded": Text(it="obiettivo mancato", en="not funded"),
    "closed": Text(it="chiusa", en="closed"),
}
DONATION_STATES = {
    "pending": Text(it="in attesa della carta", en="awaiting the card"),
    "pledged": Text(it="promessa", en="pledged"),
    "succeeded": Text(it="incassata", en="collected"),
    "failed": Text(it="non riuscita", en="failed"),
    "released": Text(it="liberata", en="released"),
    "refund_pending": Text(it="rimborso in corso", en="refund pending"),
    "refunded": Text(it="rimborsata", en="refunded"),
}
METHODS = {"wallet": Text(it="borsellino", en="wallet"), "card": Text(it="carta", en="card")}
MESSAGE_STATES = {
    "pending": Text(it="da approvare", en="to approve"),
    "approved": Text(it="approvato", en="approved"),
    "rejected": Text(it="rifiutato", en="rejected"),
    "none": Text(it="", en=""),
}
MODELS = {
    "keep_it_all": Text(it="tieni tutto", en="keep it all"),
    "all_or_nothing": Text(it="tutto o niente", en="all or nothing"),
}

register_link("console.campaigns_index", T["title"], *STAFF)


def _in_rome(moment: datetime | None) -> str:
    return moment.astimezone(ROME).strftime("%d/%m/%Y %H:%M") if moment else ""


def _error_text(refused: DomainError) -> str:
    return refused.body(language())["error"]["message"]


def _libraries():
    principal = console_principal()
    if principal.role == "librarian":
        return list(
            db.session.scalars(
                select(Library).where(Library.public_id.in_(principal.library_ids)).order_by(Library.name)
            )
        )
    return list(
        db.session.scalars(
            select(Library).join(Network).where(Network.public_id == principal.network_id).order_by(Library.name)
        )
    )


def _page(template: str, status: int = 200, **context):
    lang = language()
    return render(
        template,
        states={k: v.render(lang) for k, v in STATES.items()},
        models={k: v.render(lang) for k, v in MODELS.items()},
        in_rome=_in_rome,
        donation_states={k: v.render(lang) for k, v in DONATION_STATES.items()},
        methods={k: v.render(lang) for k, v in METHODS.items()},
        message_states={k: v.render(lang) for k, v in MESSAGE_STATES.items()},
        money=lambda m: m.format(lang),
        **context,
    ), status


def _index(*, error: str | None = None, status: int = 200, form=None):
    if error:
        db.session.rollback()
    page = services.managed_list(db.session, console_principal(), {"limit": 100})
    progress = services.progress_of(db.session, page.data)
    return _page(
        "console/campaigns/index.html",
        status,
        campaigns=page.data,
        progress=progress,
        libraries=_libraries(),
        error=error,
        form=form or {},
        notice=None,
    )


@bp.route("/campaigns")
@staff_page(*STAFF)
def campaigns_index():
    return _index()


def _deadline(raw: str) -> datetime | None:
    """A Rome wall-clock moment typed as ``2026-12-31 23:59``, in the API's years; None otherwise."""
    try:
        moment = datetime.strptime(raw.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    # As the API's date-time fields: far from the edges where Rome → UTC overflows (0001-01-01 00:30).
    return to_utc(moment) if MIN_YEAR <= moment.year <= MAX_YEAR else None


def _refused(key: str) -> str:
    return T[key].render(language())


@bp.route("/campaigns", methods=["POST"])
@staff_page(*STAFF)
def campaigns_create():
    form = request.form
    deadline = _deadline(form.get("deadline", ""))
    if deadline is None:
        return _index(error=_refused("bad_deadline"), status=400, form=form)
    title = form.get("title", "").strip()[:200]
    if not title:
        return _index(error=_refused("title_required"), status=400, form=form)
    model = form.get("model", FundingModel.KEEP_IT_ALL)
    if model not in set(FundingModel):
        return _index(error=_refused("bad_model"), status=400, form=form)
    try:
        campaign = services.create_campaign(
            db.session,
            console_principal(),
            {
                "library_id": form.get("library_id", ""),
                "title": title,
                "story": form.get("story", "")[:20_000],
                "goal": parse_amount(form.get("goal", "")),
                "deadline": deadline,
                "model": FundingModel(model),
                "art_bonus": form.get("art_bonus") == "on",
                "art_bonus_beneficiary": form.get("art_bonus_beneficiary", "")[:300],
                "art_bonus_purpose": form.get("art_bonus_purpose", "")[:500],
                "good_causes": [c.strip()[:200] for c in form.get("good_causes", "").splitlines() if c.strip()][:12],
            },
        )
    except DomainError as refused:
        return _index(error=_error_text(refused), status=refused.error.status, form=form)
    return redirect(url_for("console.campaign_detail", campaign_id=campaign.public_id, notice="created"))


def _managed(campaign_id: str) -> Campaign | None:
    try:
        return services.managed_campaign(db.session, console_principal(), campaign_id)
    except DomainError:
        return None


def _detail(campaign: Campaign, *, notice: str | None = None, error: str | None = None, status: int = 200):
    if error:
        db.session.rollback()
    donations = wall.staff_list(db.session, campaign, {"limit": 100})
    updates = services.updates_of(db.session, campaign, {"limit": 50})
    now = utcnow().astimezone(ROME)
    return _page(
        "console/campaigns/detail.html",
        status,
        campaign=campaign,
        progress=services.progress_of(db.session, [campaign])[campaign.id],
        donations=donations.data,
        goal=Money(campaign.goal, campaign.currency),
        updates=updates.data,
        notice=notice,
        error=error,
        year=now.year,
        month=now.month,
    )


def _not_found():
    return render("console/message.html", message=T["not_found"]), 404


@bp.route("/campaigns/<campaign_id>")
@staff_page(*STAFF)
def campaign_detail(campaign_id):
    campaign = _managed(campaign_id)
    if campaign is None:
        return _not_found()
    text = T.get(request.args.get("notice", ""))
    return _detail(campaign, notice=text.render(language()) if text else None)


@bp.route("/campaigns/<campaign_id>/launch", methods=["POST"])
@staff_page(*STAFF)
def campaign_launch(campaign_id):
    campaign = _managed(campaign_id)
    if campaign is None:
        return _not_found()
    try:
        services.launch(db.session, campaign)
    except DomainError as refused:
        return _detail(campaign, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.campaign_detail", campaign_id=campaign_id, notice="launched"))


@bp.route("/campaigns/<campaign_id>/updates", methods=["POST"])
@staff_page(*STAFF)
def campaign_post_update(campaign_id):
    campaign = _managed(campaign_id)
    if campaign is None:
        return _not_found()
    body = request.form.get("body", "").strip()[:10_000]
    if not body:
        return _detail(campaign, error=_refused("body_required"), status=400)
    try:
        services.post_update(
            db.session,
            campaign,
            console_person(),
            body=body,
            results=request.form.get("results", "")[:10_000],
            final_report=request.form.get("final_report") == "on",
        )
    except DomainError as refused:
        return _detail(campaign, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.campaign_detail", campaign_id=campaign_id, notice="posted"))


@bp.route("/campaigns/donations/<donation_id>/moderation", methods=["POST"])
@staff_page(*STAFF)
def campaign_moderate(donation_id):
    donation = db.session.scalar(select(Donation).where(Donation.public_id == donation_id))
    campaign = _managed(donation.campaign.public_id) if donation is not None and donation.campaign else None
    if campaign is None:
        return _not_found()
    approve = request.form.get("approve")
    if approve not in ("1", "0"):
        return _detail(campaign, error=_refused("bad_moderation"), status=400)
    try:
        wall.moderate(db.session, donation, approve == "1")
    except DomainError as refused:
        return _detail(campaign, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.campaign_detail", campaign_id=campaign.public_id, notice="moderated"))


def _report_number(raw: str | None, default: int, low: int, high: int) -> int | None:
    """A year or month of the report's query: absent or blank is ``default``; else ASCII digits in range, or None."""
    if raw is None or not raw.strip():
        return default
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        return None
    return int(raw)


@bp.route("/campaigns/art-bonus-report")
@staff_page(*STAFF)
def campaigns_art_bonus_report():
    now = utcnow().astimezone(ROME)
    year = _report_number(request.args.get("year"), now.year, *REPORT_YEARS)
    month = _report_number(request.args.get("month"), now.month, 1, 12)
    if year is None or month is None:
        return render("console/message.html", message=T["bad_period"]), 400
    libraries = _libraries()
    chosen = request.args.get("library_id") or (libraries[0].public_id if libraries else "")
    try:
        network, library = services.owner_for(db.session, console_principal(), library_id=chosen, network_id=None)
    except DomainError:
        return _not_found()
    report = receipts.art_bonus_report(db.session, network, library, year, month)
    return _page(
        "console/campaigns/report.html", report=report, libraries=libraries, chosen=chosen, year=year, month=month
    )
