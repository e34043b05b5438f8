"""Console pages of Socialbook for curators and librarians.

Guides: the list of guides I curate with a form to create one; a guide's page
to add titles by ISBN, import a CSV/MARC/Dublin Core file, move titles up and
down, link an event, publish or take back to draft. Kits: the kits of my
libraries and a kit's calendar (free units per day, the reservations, pick-up
and return buttons).

The same services as the API, so the same rules and scope (another library's
guide or kit is a 404). A refused form renders the page again with the reason
and a 4xx status, so the unit of work rolls back. Pick-up and return move money:
their forms carry a one-time key (as the cash desk's), a double click books once.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import redirect, request, url_for
from sqlalchemy import select

from backend.accounts.models import Library
from backend.console.access import bp, console_principal, language, register_link, render, staff_page
from backend.console.forms import claim_form, new_form_key, parse_amount
from backend.console.labels import register_labels
from backend.errors import NOT_FOUND, DomainError
from backend.events.models import Event, EventState
from backend.guides import access, catalog, detail, imports, kits
from backend.guides import errors as form_errors
from backend.guides.models import Guide, GuideState, Kit, KitReservation, ReservationState, Visibility
from backend.i18n import Text
from backend.money import Money
from backend.pagination import paginate
from backend.web.database import db

STAFF = ("librarian", "admin")
CALENDAR_DAYS = 42

T = {
    "created": Text(it="Guida creata: ora aggiungi i titoli.", en="Guide created: now add its titles."),
    "added": Text(it="Titolo aggiunto.", en="Title added."),
    "imported": Text(
        it="Importazione: {added} titoli aggiunti, {rejected} righe scartate.",
        en="Import: {added} titles added, {rejected} rows rejected.",
    ),
    "moved": Text(it="Ordine aggiornato.", en="Order updated."),
    "removed": Text(it="Titolo tolto dalla guida.", en="Title removed from the guide."),
    "published": Text(it="Guida pubblicata.", en="Guide published."),
    "unpublished": Text(it="Guida tornata in bozza.", en="Guide back to draft."),
    "linked": Text(it="Evento collegato.", en="Event linked."),
    "kit_created": Text(it="Kit creato.", en="Kit created."),
    "picked_up": Text(it="Ritiro registrato.", en="Pick-up recorded."),
    "returned": Text(it="Restituzione registrata.", en="Return recorded."),
    "replayed": Text(
        it="Questo modulo era già stato inviato: nulla è stato ripetuto.",
        en="This form was already sent: nothing was done twice.",
    ),
    "not_found": Text(
        it="Non trovato, o non è di una tua biblioteca.", en="Not found, or not in one of your libraries."
    ),
}

register_link("console.guides_index", Text(it="Guide di lettura", en="Reading guides"), *STAFF)
register_link("console.kits_index", Text(it="Kit culturali", en="Cultural kits"), *STAFF)
register_labels(
    "guide_state",
    {
        GuideState.DRAFT: Text(it="Bozza", en="Draft"),
        GuideState.PUBLISHED: Text(it="Pubblicata", en="Published"),
    },
)
register_labels(
    "guide_visibility",
    {
        Visibility.EVERYONE: Text(it="Tutte le reti", en="Every network"),
        Visibility.NETWORK: Text(it="Solo la mia rete", en="My network only"),
    },
)
register_labels(
    "kit_reservation_state",
    {
        ReservationState.RESERVED: Text(it="Prenotato", en="Reserved"),
        ReservationState.PICKED_UP: Text(it="Ritirato", en="Picked up"),
        ReservationState.RETURNED: Text(it="Restituito", en="Returned"),
        ReservationState.CANCELLED: Text(it="Annullato", en="Cancelled"),
        ReservationState.NO_SHOW: Text(it="Non ritirato", en="Not picked up"),
    },
)


def _error_text(refused: DomainError) -> str:
    return refused.body(language())["error"]["message"]


def _not_found():
    return render("console/message.html", message=T["not_found"]), 404


def _notice(key: str | None, **values) -> str | None:
    text = T.get(key or "")
    return text.render(language(), **values) if text else None


def _my_libraries() -> list[Library]:
    principal = console_principal()
    stmt = select(Library).order_by(Library.name)
    if principal.role == "librarian":
        return list(db.session.scalars(stmt.where(Library.public_id.in_(principal.library_ids or ("-",)))))
    return list(
        db.session.scalars(stmt.join(Library.network).where(Library.network.has(public_id=principal.network_id)))
    )


# --- guides ---------------------------------------------------------------------------------


@bp.route("/guides", methods=["GET", "POST"])
@staff_page(*STAFF)
def guides_index():
    principal = console_principal()
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        data = {
            "title_it": form.get("title_it", "").strip(),
            "title_en": form.get("title_en", "").strip(),
            "theme": form.get("theme", "").strip(),
            "description_it": form.get("description_it", "").strip(),
            "audience": form.get("audience", "").strip(),
            "visibility": form.get("visibility") if form.get("visibility") in set(Visibility) else "everyone",
            "tags": form.get("tags", "").replace(",", " ").split(),
        }
        curator = form.get("curator", "")
        if curator == "network":
            data["network"] = principal.network_id
        else:
            data["library"] = curator
        try:
            for name in ("age_min", "age_max"):
                raw = form.get(name, "").strip()
                if raw:
                    if not raw.isdigit() or int(raw) > 120:
                        raise DomainError(form_errors.BAD_AGE, param=name)
                    data[name] = int(raw)
            if not data["title_it"] or not data["theme"]:
                raise DomainError(form_errors.TITLE_AND_THEME)
            guide = catalog.create_guide(db.session, principal, data)
        except DomainError as refused:
            db.session.rollback()
            error, status = _error_text(refused), refused.error.status
        else:
            return redirect(url_for("console.guide_page", guide_id=guide.public_id, notice="created"))
    guides = paginate(db.session, catalog.curated_guides(db.session, principal), Guide, limit=100).data
    return render(
        "console/guides/index.html",
        guides=guides,
        libraries=_my_libraries(),
        error=error,
        form=request.form if error else {},
        is_admin=principal.role == "admin",
    ), status


def _guide_page(guide: Guide, *, notice: str | None = None, error: str | None = None, status: int = 200, report=None):
    if error:
        db.session.rollback()
        guide = db.session.get(Guide, guide.id)
    shown = detail.staff_detail(db.session, guide)
    events = list(
        db.session.scalars(
            select(Event)
            .where(Event.network_id == guide.network_id, Event.status == EventState.PUBLISHED)
            .order_by(Event.id.desc())
            .limit(100)
        )
    )
    return render(
        "console/guides/guide.html",
        g=shown,
        events=events,
        notice=notice,
        error=error,
        report=report,
        formats=imports.FORMATS,
    ), status


def _curated(guide_id: str) -> Guide:
    return access.curated_guide(db.session, console_principal(), guide_id)


@bp.route("/guides/<guide_id>")
@staff_page(*STAFF)
def guide_page(guide_id):
    try:
        guide = _curated(guide_id)
    except DomainError:
        return _not_found()
    return _guide_page(guide, notice=_notice(request.args.get("notice")))


def _guide_action(guide_id: str, action, notice: str):
    try:
        guide = _curated(guide_id)
    except DomainError:
        return _not_found()
    try:
        action(guide)
    except DomainError as refused:
        return _guide_page(guide, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.guide_page", guide_id=guide_id, notice=notice))


@bp.route("/guides/<guide_id>/items", methods=["POST"])
@staff_page(*STAFF)
def guide_add_item(guide_id):
    form = request.form
    return _guide_action(
        guide_id,
        lambda guide: catalog.add_item(
            db.session,
            guide,
            isbn=form.get("isbn", "").strip() or None,
            title=form.get("title", "").strip() or None,
            authors=form.get("authors", "").strip(),
            note=form.get("note", "").strip()[:2000],
        ),
        "added",
    )


@bp.route("/guides/<guide_id>/items/<item_id>/move", methods=["POST"])
@staff_page(*STAFF)
def guide_move_item(guide_id, item_id):
    def move(guide):
        ids = [item.public_id for item in guide.items]
        if item_id not in ids:
            raise DomainError(NOT_FOUND)
        at = ids.index(item_id)
        to = at - 1 if request.form.get("direction") == "up" else at + 1
        if 0 <= to < len(ids):
            ids[at], ids[to] = ids[to], ids[at]
        catalog.reorder_items(db.session, guide, ids)

    return _guide_action(guide_id, move, "moved")


@bp.route("/guides/<guide_id>/items/<item_id>/remove", methods=["POST"])
@staff_page(*STAFF)
def guide_remove_item(guide_id, item_id):
    return _guide_action(guide_id, lambda guide: catalog.remove_item(db.session, guide, item_id), "removed")


@bp.route("/guides/<guide_id>/import", methods=["POST"])
@staff_page(*STAFF)
def guide_import(guide_id):
    try:
        guide = _curated(guide_id)
    except DomainError:
        return _not_found()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise DomainError(form_errors.FILE_REQUIRED, param="file")
        report = imports.import_items(
            db.session, guide, upload.read(), request.form.get("format", ""), language=language()
        )
    except DomainError as refused:
        return _guide_page(guide, error=_error_text(refused), status=refused.error.status)
    return _guide_page(guide, notice=_notice("imported", added=report.added, rejected=report.rejected), report=report)


@bp.route("/guides/<guide_id>/publish", methods=["POST"])
@staff_page(*STAFF)
def guide_publish(guide_id):
    if request.form.get("to") == "draft":
        return _guide_action(guide_id, lambda guide: catalog.unpublish(db.session, guide), "unpublished")
    return _guide_action(guide_id, lambda guide: catalog.publish(db.session, guide), "published")


@bp.route("/guides/<guide_id>/events", methods=["POST"])
@staff_page(*STAFF)
def guide_link_event(guide_id):
    return _guide_action(
        guide_id,
        lambda guide: catalog.link_event(db.session, guide, event_id=request.form.get("event_id", "")),
        "linked",
    )


# --- kits ---------------------------------------------------------------------------------------


@bp.route("/kits", methods=["GET", "POST"])
@staff_page(*STAFF)
def kits_index():
    principal = console_principal()
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            numbers = {}
            for name, low, high in (("units", 1, 500), ("loan_days", 1, 90)):
                raw = form.get(name, "").strip()
                if not raw.isdigit() or not low <= int(raw) <= high:
                    raise DomainError(form_errors.BAD_NUMBER, param=name)
                numbers[name] = int(raw)
            money = {
                name: parse_amount(form.get(name, ""), allow_zero=True)
                for name in ("deposit", "fee", "late_fee_per_day")
            }
            guide_id = form.get("guide", "")
            guides = [access.curated_guide(db.session, principal, guide_id)] if guide_id else []
            kit = kits.create_kit(
                db.session,
                principal,
                {
                    "library": form.get("library", ""),
                    "title": form.get("title", "").strip() or "—",
                    "description": form.get("description", "").strip(),
                    **numbers,
                    **money,
                },
                guides,
            )
        except DomainError as refused:
            db.session.rollback()
            error, status = _error_text(refused), refused.error.status
        else:
            return redirect(url_for("console.kit_page", kit_id=kit.public_id, notice="kit_created"))
    found = paginate(db.session, kits.kits_in_scope(db.session, principal), Kit, limit=100).data
    guides = paginate(db.session, catalog.curated_guides(db.session, principal), Guide, limit=100).data
    return render(
        "console/guides/kits.html",
        kits=found,
        libraries=_my_libraries(),
        guides=guides,
        error=error,
        form=request.form if error else {},
    ), status


def _kit_page(kit: Kit, *, notice: str | None = None, error: str | None = None, status: int = 200):
    if error:
        db.session.rollback()
        kit = db.session.get(Kit, kit.id)
    try:
        start = date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        start = kits.today_in_rome()
    days = kits.calendar(db.session, kit, start, CALENDAR_DAYS)
    reservations = list(
        db.session.scalars(
            select(KitReservation)
            .where(
                KitReservation.kit_id == kit.id,
                KitReservation.end_date >= start,
                KitReservation.start_date <= start + timedelta(days=CALENDAR_DAYS),
            )
            .order_by(KitReservation.start_date, KitReservation.id)
        )
    )
    return render(
        "console/guides/kit.html",
        kit=kit,
        days=days,
        reservations=reservations,
        start=start,
        previous=start - timedelta(days=CALENDAR_DAYS),
        following=start + timedelta(days=CALENDAR_DAYS),
        notice=notice,
        error=error,
        form_key=new_form_key(),
        money=lambda cents: Money(cents, kit.currency).format(language()),
    ), status


@bp.route("/kits/<kit_id>")
@staff_page(*STAFF)
def kit_page(kit_id):
    try:
        kit = access.managed_kit(db.session, console_principal(), kit_id)
    except DomainError:
        return _not_found()
    return _kit_page(kit, notice=_notice(request.args.get("notice")))


def _handle(kit_id: str, reservation_id: str, service, notice: str):
    principal = console_principal()
    try:
        kit = access.managed_kit(db.session, principal, kit_id)
    except DomainError:
        return _not_found()
    try:
        if not claim_form():
            return redirect(url_for("console.kit_page", kit_id=kit_id, notice="replayed"))
        service(db.session, principal, reservation_id)
    except DomainError as refused:
        return _kit_page(kit, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.kit_page", kit_id=kit_id, notice=notice))


@bp.route("/kits/<kit_id>/reservations/<reservation_id>/pickup", methods=["POST"])
@staff_page(*STAFF)
def kit_pickup(kit_id, reservation_id):
    return _handle(kit_id, reservation_id, kits.pick_up, "picked_up")


@bp.route("/kits/<kit_id>/reservations/<reservation_id>/return", methods=["POST"])
@staff_page(*STAFF)
def kit_return(kit_id, reservation_id):
    return _handle(kit_id, reservation_id, kits.return_kit, "returned")
