"""HTTP layer of Socialbook (``/v1/guides``). Thin: parse, authorize, call one service, serialize.

Patrons browse, follow, record their reading and reserve kits; curators
(staff of the guide's library or network) manage guides, items, imports,
events and kits under ``/v1/guides/manage``.
"""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from backend.accounts.services import person_of
from backend.errors import NOT_FOUND, DomainError
from backend.guides import access, catalog, detail, imports, kits, reading, records
from backend.guides import schemas as s
from backend.guides.models import CatalogRecord, Guide, GuideBadge, KitReservation, ReadingProgress
from backend.pagination import Page, page_schema, paginate
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.language import negotiate_language
from backend.web.policy import allow, require_principal

blp = Blueprint(
    "guides",
    __name__,
    url_prefix="/v1/guides",
    description="Socialbook: reading guides, reading progress and badges, cultural kits",
)
STAFF = ("librarian", "admin")


def _patron():
    return person_of(db.session, require_principal())


def _staff():
    principal = require_principal()
    person_of(db.session, principal)  # an active staff user
    return principal


def _curated(guide_id: str) -> Guide:
    return access.curated_guide(db.session, _staff(), guide_id)


def _views(page: Page, convert) -> Page:
    page.data = convert(page.data)
    return page


# --- browsing (patrons) -----------------------------------------------------------------------


@blp.route("")
class Guides(MethodView):
    @allow("patron")
    @blp.arguments(s.GuideListArgsSchema, location="query")
    @blp.response(200, page_schema(s.GuideSchema))
    @blp.doc(
        summary="Browse and search guides I can see: text, theme, tag, age, curator, network; "
        "newest or most followed first"
    )
    def get(self, args):
        return catalog.search_guides(db.session, _patron(), args)


@blp.route("/mine")
class MyGuides(MethodView):
    @allow("patron")
    @blp.arguments(s.PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.GuideSchema))
    @blp.doc(summary="Guides I follow, newest follow first")
    def get(self, args):
        stmt, key = reading.my_guides(_patron())
        return paginate(
            db.session, stmt, Guide, limit=args["limit"], starting_after=args["starting_after"], order_by=key
        )


@blp.route("/shelves")
class Shelves(MethodView):
    @allow("patron")
    @blp.arguments(s.ShelfArgsSchema, location="query")
    @blp.response(200, page_schema(s.ReadingProgressSchema))
    @blp.doc(summary="My shelves: every title I marked, by state (want_to_read, reading, read), latest first")
    def get(self, args):
        page = paginate(
            db.session,
            reading.shelf(_patron(), args.get("state")),
            ReadingProgress,
            limit=args["limit"],
            starting_after=args["starting_after"],
        )
        return _views(page, lambda rows: detail.progress_views(db.session, rows))


@blp.route("/badges")
class Badges(MethodView):
    @allow("patron")
    @blp.arguments(s.PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.GuideBadgeSchema))
    @blp.doc(summary="My badges: one per completed guide, newest first")
    def get(self, args):
        return paginate(
            db.session,
            reading.badges_of(_patron()),
            GuideBadge,
            limit=args["limit"],
            starting_after=args["starting_after"],
        )


@blp.route("/records/<record_id>")
class RecordDetail(MethodView):
    @allow("patron")
    @blp.response(200, s.RecordDetailSchema)
    @blp.doc(summary="A title, with my progress and the guides that contain it")
    def get(self, record_id):
        return detail.record_detail(db.session, _patron(), record_id)


add_error_responses(RecordDetail.get, 404)


@blp.route("/records/<record_id>/progress")
class RecordProgress(MethodView):
    @allow("patron")
    @blp.arguments(s.ReadingProgressSetSchema)
    @blp.response(200, s.ReadingProgressChangeSchema)
    @blp.doc(
        summary="Set my progress with a title (want_to_read, reading, read); reading the last "
        "title of a guide earns its badge"
    )
    def put(self, data, record_id):
        change = reading.set_progress(db.session, _patron(), record_id, data["state"])
        change.progress = detail.progress_views(db.session, [change.progress])[0]
        return change

    @allow("patron")
    @blp.response(204)
    @blp.doc(summary="Forget my progress with a title (badges already earned stay)")
    def delete(self, record_id):
        reading.clear_progress(db.session, _patron(), record_id)

    add_error_responses(put, 404, 422)
    add_error_responses(delete, 404)


@blp.route("/<guide_id>")
class GuideDetail(MethodView):
    @allow("patron")
    @blp.response(200, s.GuideDetailSchema)
    @blp.doc(summary="A guide: items with my progress and OPAC links, kits, upcoming events with live availability")
    def get(self, guide_id):
        return detail.guide_detail(db.session, _patron(), guide_id)


add_error_responses(GuideDetail.get, 404)


@blp.route("/<guide_id>/follow")
class Follow(MethodView):
    @allow("patron")
    @blp.response(200, s.GuideFollowSchema)
    @blp.doc(summary="Follow a guide: new titles, kits and events are notified (reminders preference)")
    def put(self, guide_id):
        guide = reading.follow(db.session, _patron(), guide_id)
        guide.following = True
        return guide

    @allow("patron")
    @blp.response(204)
    @blp.doc(summary="Stop following a guide")
    def delete(self, guide_id):
        reading.unfollow(db.session, _patron(), guide_id)

    add_error_responses(put, 404)
    add_error_responses(delete, 404)


@blp.route("/<guide_id>/progress")
class GuideProgress(MethodView):
    @allow("patron")
    @blp.response(200, s.GuideProgressSchema)
    @blp.doc(summary="My progress in a guide, and its badge when completed")
    def get(self, guide_id):
        return reading.guide_progress(db.session, _patron(), guide_id)


add_error_responses(GuideProgress.get, 404)


# --- kits (patrons) -----------------------------------------------------------------------------


@blp.route("/kits/<kit_id>")
class KitDetail(MethodView):
    @allow("patron", *STAFF)
    @blp.arguments(s.CalendarArgsSchema, location="query")
    @blp.response(200, s.KitCalendarSchema)
    @blp.doc(summary="A kit and its free units per day")
    def get(self, args, kit_id):
        require_principal()
        kit = kits.visible_kit(db.session, kit_id)
        start = args.get("start") or kits.today_in_rome()
        return {
            "kit": kit,
            "days": [{"day": d, "free": free} for d, free in kits.calendar(db.session, kit, start, args["days"])],
        }


add_error_responses(KitDetail.get, 404)


@blp.route("/kits/<kit_id>/reservations")
class KitReservations(MethodView):
    @allow("patron")
    @idempotent
    @blp.arguments(s.ReservationCreateSchema)
    @blp.response(201, s.ReservationSchema)
    @blp.doc(
        summary="Reserve a kit for a date range at a pick-up library; deposit and fee are held in the "
        "wallet until pick-up. 409 kit_unavailable lists next_free_dates"
    )
    def post(self, data, kit_id):
        kit = kits.visible_kit(db.session, kit_id)
        return kits.reserve(
            db.session,
            _patron(),
            kit,
            start=data["start_date"],
            end=data["end_date"],
            quantity=data["quantity"],
            pickup_library_id=data["pickup_library"],
        )

    add_error_responses(post, 404, 409, 422)


@blp.route("/kit-reservations")
class MyReservations(MethodView):
    @allow("patron")
    @blp.arguments(s.ReservationListArgsSchema, location="query")
    @blp.response(200, page_schema(s.ReservationSchema))
    @blp.doc(summary="My kit reservations, newest first")
    def get(self, args):
        return paginate(
            db.session,
            kits.my_reservations(_patron(), args.get("state")),
            KitReservation,
            limit=args["limit"],
            starting_after=args["starting_after"],
        )


@blp.route("/kit-reservations/<reservation_id>")
class MyReservation(MethodView):
    @allow("patron")
    @blp.response(200, s.ReservationSchema)
    @blp.doc(summary="One of my kit reservations")
    def get(self, reservation_id):
        return kits.my_reservation(db.session, _patron(), reservation_id)


add_error_responses(MyReservation.get, 404)


@blp.route("/kit-reservations/<reservation_id>/cancel")
class CancelReservation(MethodView):
    @allow("patron")
    @idempotent
    @blp.response(200, s.ReservationSchema)
    @blp.doc(summary="Cancel my reservation before the pick-up day: the held money is released")
    def post(self, reservation_id):
        return kits.cancel(db.session, _patron(), reservation_id)

    add_error_responses(post, 404, 409)


# --- curators: guides -------------------------------------------------------------------------------


@blp.route("/manage/guides")
class ManagedGuides(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.StaffGuideBriefSchema))
    @blp.doc(summary="Guides I curate (my libraries', my network's), newest first")
    def get(self, args):
        return paginate(
            db.session,
            catalog.curated_guides(db.session, _staff()),
            Guide,
            limit=args["limit"],
            starting_after=args["starting_after"],
        )

    @allow(*STAFF)
    @blp.arguments(s.GuideCreateSchema)
    @blp.response(201, s.StaffGuideSchema)
    @blp.doc(summary="Create a draft guide for one of my libraries (or my network, admins)")
    def post(self, data):
        guide = catalog.create_guide(db.session, _staff(), data)
        return detail.staff_detail(db.session, guide)

    add_error_responses(post, 404, 422)


@blp.route("/manage/guides/<guide_id>")
class ManagedGuide(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.StaffGuideSchema)
    @blp.doc(summary="A guide I curate, with its items, kits and upcoming events")
    def get(self, guide_id):
        return detail.staff_detail(db.session, _curated(guide_id))

    @allow(*STAFF)
    @blp.arguments(s.GuideUpdateSchema)
    @blp.response(200, s.StaffGuideSchema)
    @blp.doc(summary="Change a guide's texts, audience, tags or visibility")
    def patch(self, data, guide_id):
        guide = catalog.update_guide(db.session, _curated(guide_id), data)
        return detail.staff_detail(db.session, guide)

    add_error_responses(get, 404)
    add_error_responses(patch, 404, 422)


@blp.route("/manage/guides/<guide_id>/items")
class ManagedItems(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ItemAddSchema)
    @blp.response(201, s.GuideItemSchema)
    @blp.doc(
        summary="Add a title by ISBN (normalised to ISBN-13; the shared record is reused) or, without ISBN, by title"
    )
    def post(self, data, guide_id):
        guide = _curated(guide_id)
        item = catalog.add_item(db.session, guide, **data)
        return detail.ItemView(item, detail.record_views(db.session, [item.record])[0])

    add_error_responses(post, 404, 409, 422)


@blp.route("/manage/guides/<guide_id>/items/order")
class ItemOrder(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ReorderSchema)
    @blp.response(200, s.StaffGuideSchema)
    @blp.doc(summary="Reorder the items: every item id of the guide, each once, in the new order")
    def put(self, data, guide_id):
        guide = catalog.reorder_items(db.session, _curated(guide_id), data["item_ids"])
        return detail.staff_detail(db.session, guide)

    add_error_responses(put, 404, 422)


@blp.route("/manage/guides/<guide_id>/items/<item_id>")
class ManagedItem(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ItemUpdateSchema)
    @blp.response(200, s.GuideItemSchema)
    @blp.doc(summary="Change an item's curator note")
    def patch(self, data, guide_id, item_id):
        item = catalog.update_item(db.session, _curated(guide_id), item_id, data["note"])
        return detail.ItemView(item, detail.record_views(db.session, [item.record])[0])

    @allow(*STAFF)
    @blp.response(204)
    @blp.doc(summary="Remove an item from the guide (the shared record stays)")
    def delete(self, guide_id, item_id):
        catalog.remove_item(db.session, _curated(guide_id), item_id)

    add_error_responses(patch, 404)
    add_error_responses(delete, 404)


@blp.route("/manage/guides/<guide_id>/import")
class ImportItems(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.ImportArgsSchema, location="query")
    @blp.arguments(s.ImportFileSchema, location="files")
    @blp.response(200, s.ImportReportSchema)
    @blp.doc(
        summary="Import titles from a CSV (isbn,note), MARC (ISO 2709 or MARCXML) or Dublin Core file: "
        "good rows are added, bad rows reported"
    )
    def post(self, args, files, guide_id):
        guide = _curated(guide_id)
        return imports.import_items(
            db.session, guide, files["file"].read(), args["format"], language=negotiate_language()
        )

    add_error_responses(post, 404)


@blp.route("/manage/guides/<guide_id>/publish")
class PublishGuide(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.StaffGuideSchema)
    @blp.doc(summary="Publish a draft guide (it needs at least one title)")
    def post(self, guide_id):
        return detail.staff_detail(db.session, catalog.publish(db.session, _curated(guide_id)))

    add_error_responses(post, 404, 422)


@blp.route("/manage/guides/<guide_id>/unpublish")
class UnpublishGuide(MethodView):
    @allow(*STAFF)
    @blp.response(200, s.StaffGuideSchema)
    @blp.doc(summary="Take a guide back to draft: patrons no longer see it")
    def post(self, guide_id):
        return detail.staff_detail(db.session, catalog.unpublish(db.session, _curated(guide_id)))

    add_error_responses(post, 404, 422)


@blp.route("/manage/guides/<guide_id>/events")
class GuideEvents(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.EventLinkSchema)
    @blp.response(201, s.StaffGuideSchema)
    @blp.doc(summary="Link a published event (every date) or one of its dates; followers are told")
    def post(self, data, guide_id):
        guide = _curated(guide_id)
        catalog.link_event(db.session, guide, event_id=data["event_id"], occurrence_id=data.get("occurrence_id"))
        return detail.staff_detail(db.session, guide)

    add_error_responses(post, 404, 409, 422)


@blp.route("/manage/guides/<guide_id>/events/<event_id>")
class GuideEvent(MethodView):
    @allow(*STAFF)
    @blp.response(204)
    @blp.doc(summary="Unlink an event (all its links) from the guide")
    def delete(self, guide_id, event_id):
        catalog.unlink_event(db.session, _curated(guide_id), event_id)

    add_error_responses(delete, 404)


@blp.route("/manage/records/<record_id>")
class ManagedRecord(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.RecordUpdateSchema)
    @blp.response(200, s.CatalogRecordSchema)
    @blp.doc(summary="Complete a catalogue record of my network (title, authors, year, media type, cover)")
    def patch(self, data, record_id):
        principal = _staff()
        network = access.network_of(db.session, principal)
        record = db.session.scalar(
            select(CatalogRecord).where(CatalogRecord.public_id == record_id, CatalogRecord.network_id == network.id)
        )
        if record is None:
            raise DomainError(NOT_FOUND)
        return detail.record_views(db.session, [records.update_record(db.session, record, data)])[0]

    add_error_responses(patch, 404)


@blp.route("/manage/opac-template")
class OpacTemplate(MethodView):
    @allow("admin")
    @blp.arguments(s.OpacTemplateSchema)
    @blp.response(200, s.OpacTemplateSchema)
    @blp.doc(summary="My network's OPAC link template ({isbn} is replaced by the record's ISBN-13)")
    def put(self, data):
        principal = _staff()
        return records.set_opac_template(db.session, access.network_of(db.session, principal), data["url_template"])

    add_error_responses(put, 404, 422)


# --- librarians: kits and reservations ---------------------------------------------------------------


def _guides_named(ids: list[str]) -> list[Guide]:
    found = list(db.session.scalars(select(Guide).where(Guide.public_id.in_(ids)))) if ids else []
    if len(found) != len(set(ids)):
        raise DomainError(NOT_FOUND, param="guides")
    return found


@blp.route("/manage/kits")
class ManagedKits(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.PageArgsSchema, location="query")
    @blp.response(200, page_schema(s.KitSchema))
    @blp.doc(summary="Kits of my libraries")
    def get(self, args):
        return paginate(
            db.session,
            kits.kits_in_scope(db.session, _staff()),
            kits.Kit,
            limit=args["limit"],
            starting_after=args["starting_after"],
        )

    @allow(*STAFF)
    @blp.arguments(s.KitCreateSchema)
    @blp.response(201, s.KitSchema)
    @blp.doc(summary="Create a kit of one of my libraries, for some guides")
    def post(self, data):
        principal = _staff()
        return kits.create_kit(db.session, principal, data, _guides_named(data["guides"]))

    add_error_responses(post, 404)


@blp.route("/manage/kits/<kit_id>")
class ManagedKit(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.KitUpdateSchema)
    @blp.response(200, s.KitSchema)
    @blp.doc(summary="Change a kit (units cannot go below what a future day has booked: 409)")
    def patch(self, data, kit_id):
        kit = access.managed_kit(db.session, _staff(), kit_id)
        for guide in _guides_named(data.pop("guides", [])):
            kits.attach_guide(db.session, kit, guide)
        return kits.update_kit(db.session, kit, data)

    add_error_responses(patch, 404, 409)


@blp.route("/manage/kit-reservations")
class StaffReservations(MethodView):
    @allow(*STAFF)
    @blp.arguments(s.StaffReservationListArgsSchema, location="query")
    @blp.response(200, page_schema(s.StaffReservationSchema))
    @blp.doc(summary="Reservations of my libraries' kits or to be picked up at my libraries")
    def get(self, args):
        stmt = kits.reservations_for_staff(_staff(), kit_id=args.get("kit"), state=args.get("state"))
        return paginate(db.session, stmt, KitReservation, limit=args["limit"], starting_after=args["starting_after"])


@blp.route("/manage/kit-reservations/<reservation_id>/pickup")
class PickUp(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.response(200, s.StaffReservationSchema)
    @blp.doc(summary="The patron picks the kit up: deposit and fee are taken from the held money")
    def post(self, reservation_id):
        return kits.pick_up(db.session, _staff(), reservation_id)

    add_error_responses(post, 404, 409, 422)


@blp.route("/manage/kit-reservations/<reservation_id>/return")
class Return(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.response(200, s.StaffReservationSchema)
    @blp.doc(summary="The kit is back: the deposit goes back to the wallet; lateness is charged as an overdue fee")
    def post(self, reservation_id):
        return kits.return_kit(db.session, _staff(), reservation_id)

    add_error_responses(post, 404, 409)


blueprints = (blp,)
