"""Console pages of the library shop: ring up a sale, today's orders to prepare, items and rooms.

The same services as the API (``backend.shop.counter``, ``orders``, ``catalog``, ``rooms``),
so the same rules and scope: a librarian works in their own libraries, and another
library's orders, items and rooms are not found. Money forms carry a one-time
``form_key`` used as the idempotency key (a double click sells once). A refused
operation renders its page again with the message and the error's status, so the
unit of work rolls its partial writes back.
"""

from __future__ import annotations

from datetime import date

from flask import Response, redirect, request, url_for

from backend.accounts.models import Library
from backend.auth.scope import libraries_in_scope, require_library
from backend.console.access import bp, console_person, console_principal, language, register_link, render, staff_page
from backend.console.forms import claim_form, new_form_key, parse_amount
from backend.console.labels import register_labels
from backend.db import utcnow
from backend.desk import services as desk
from backend.errors import DomainError
from backend.i18n import ROME, Text
from backend.money import Money
from backend.receipts.render import METHODS
from backend.shop import catalog, counter, orders, rooms
from backend.shop import errors as e
from backend.shop import receipts as shop_receipts
from backend.shop.models import CATEGORIES, VAT_TREATMENTS, OrderState, ShopOrder
from backend.web.database import db
from backend.web.settings import current_settings

STAFF = ("librarian", "admin")

register_link("console.shop_index", Text(it="Negozio", en="Shop"), *STAFF)
register_labels(
    "shop_order_state",
    {
        "awaiting_confirmation": Text(it="In attesa di conferma nell'app", en="Waiting for the app's confirmation"),
        "declined": Text(it="Rifiutato", en="Declined"),
        "expired": Text(it="Scaduto", en="Expired"),
        "paid": Text(it="Da preparare", en="To prepare"),
        "ready": Text(it="Pronto al ritiro", en="Ready for pickup"),
        "collected": Text(it="Ritirato", en="Collected"),
        "completed": Text(it="Concluso", en="Completed"),
        "refunded": Text(it="Rimborsato", en="Refunded"),
    },
)
register_labels(
    "shop_category",
    {
        "printing": Text(it="Stampe e fotocopie", en="Printing"),
        "interlibrary_loan": Text(it="Prestito interbibliotecario", en="Interlibrary loan"),
        "card": Text(it="Tessera", en="Library card"),
        "merchandise": Text(it="Gadget", en="Merchandise"),
        "used_books": Text(it="Libri usati", en="Used books"),
        "room": Text(it="Sale", en="Rooms"),
        "course": Text(it="Corsi", en="Courses"),
        "other": Text(it="Altro", en="Other"),
    },
)
register_labels("shop_vat", shop_receipts.VAT)
register_labels("shop_method", METHODS)

T = {
    "not_found": Text(
        it="Non trovato, o non è di una tua biblioteca.", en="Not found, or not in one of your libraries."
    ),
    "replayed": Text(
        it="Questo modulo era già stato inviato: nulla è stato ripetuto.",
        en="This form was already sent: nothing was done twice.",
    ),
    "nothing": Text(it="Indica almeno un articolo o un importo.", en="Give at least one item or an amount."),
    "asked": Text(
        it="Richiesta inviata all'app dell'utente: ha 2 minuti per confermare.",
        en="Request sent to the patron's app: 2 minutes to confirm.",
    ),
    "sold": Text(it="Vendita registrata: ricevuta {number}.", en="Sale recorded: receipt {number}."),
    "refunded": Text(it="Rimborso registrato.", en="Refund recorded."),
    "saved": Text(it="Salvato.", en="Saved."),
}


def _text(key: str, **values) -> str:
    return T[key].render(language(), **values)


def _error_text(refused: DomainError) -> str:
    return refused.body(language())["error"]["message"]


def _not_found():
    return render("console/message.html", message=T["not_found"]), 404


def _money(cents: int | None) -> str:
    return Money(cents or 0).format(language())


def _library(library_id: str) -> Library:
    return require_library(console_principal(), catalog.library_by_id(db.session, library_id))


def _open_sessions(library: Library) -> list[dict]:
    desks = [d for d in desk.desks_in_scope(db.session, console_principal()) if d.library_id == library.id]
    open_ids = desk.open_session_ids(db.session, desks)
    return [{"id": open_ids[d.id], "name": d.name} for d in desks if d.id in open_ids]


# --- the library's shop: sale and orders to prepare -------------------------------------------


@bp.route("/shop")
@staff_page(*STAFF)
def shop_index():
    libraries = libraries_in_scope(db.session, console_principal())
    if len(libraries) == 1:
        return redirect(url_for("console.shop_library", library_id=libraries[0].public_id))
    return render("console/shop/index.html", libraries=libraries)


def _library_page(library: Library, *, notice=None, error=None, status=200):
    if error:
        db.session.rollback()
    items = catalog.items_on_sale(db.session, library.public_id, category=None, limit=100, starting_after=None).data
    recent = orders.library_orders(
        db.session, console_principal(), library.public_id, states=None, limit=20, starting_after=None
    ).data
    day = _day()
    return render(
        "console/shop/library.html",
        library=library,
        day=day,
        bookings=rooms.library_bookings(db.session, console_principal(), library.public_id, day),
        items=items,
        to_prepare=orders.to_prepare(db.session, console_principal(), library.public_id),
        recent=recent,
        sessions=_open_sessions(library),
        categories=CATEGORIES,
        vats=VAT_TREATMENTS,
        notice=notice,
        error=error,
        form=request.form if error else {},
        form_key=new_form_key(),
        money=_money,
    ), status


def _day() -> date:
    """The day whose room bookings the page lists: ``?date=YYYY-MM-DD``, else today in Europe/Rome."""
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return utcnow().astimezone(ROME).date()


@bp.route("/shop/<library_id>")
@staff_page(*STAFF)
def shop_library(library_id):
    try:
        library = _library(library_id)
    except DomainError:
        return _not_found()
    notice = request.args.get("notice")
    return _library_page(library, notice=_text(notice) if notice in ("replayed", "saved") else None)


def _sale_data(library: Library) -> dict:
    form = request.form
    lines = []
    for key, value in form.items():
        if key.startswith("qty_") and value.strip() not in ("", "0"):
            if not value.strip().isdigit() or not 0 < int(value) <= 99:
                raise DomainError(e.QUANTITY_INVALID, param="quantity")
            lines.append({"item_id": key[4:], "quantity": int(value)})
    data = {
        "library_id": library.public_id,
        "card_number": form.get("card_number", "").strip() or None,
        "membership_code": form.get("membership_code", "").strip() or None,
        "method": "cash" if form.get("method") == "cash" else "wallet",
        "cash_session_id": form.get("cash_session_id") or None,
        "lines": lines,
        "category": form.get("category") if form.get("category") in CATEGORIES else "other",
        "vat": form.get("vat") if form.get("vat") in VAT_TREATMENTS else "vat_22",
    }
    if form.get("amount", "").strip():
        data["amount"] = parse_amount(form["amount"])
        data["description"] = form.get("description", "").strip()[:200]
        if not data["description"]:
            raise DomainError(e.DESCRIPTION_REQUIRED, param="description")
    return data


@bp.route("/shop/<library_id>/sale", methods=["POST"])
@staff_page(*STAFF)
def shop_sale(library_id):
    try:
        library = _library(library_id)
    except DomainError:
        return _not_found()
    try:
        data = _sale_data(library)
        if not claim_form():
            return redirect(url_for("console.shop_library", library_id=library_id, notice="replayed"))
        order = counter.ring_up(db.session, current_settings(), console_principal(), console_person(), data)
    except DomainError as refused:
        return _library_page(library, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.shop_order", order_id=order.public_id, notice="new"))


@bp.route("/shop/orders/<order_id>")
@staff_page(*STAFF)
def shop_order(order_id):
    try:
        order = orders.order_for_staff(db.session, console_principal(), order_id)
    except DomainError:
        return _not_found()
    notice = None
    if request.args.get("notice") == "new":
        notice = _text("asked") if order.state == OrderState.AWAITING_CONFIRMATION else None
        if order.receipt is not None:
            notice = _text("sold", number=order.receipt.number)
    elif request.args.get("notice") in ("refunded", "replayed", "saved"):
        notice = _text(request.args["notice"])
    return _order_page(order, notice=notice)


def _order_page(order: ShopOrder, *, notice=None, error=None, status=200):
    if error:
        db.session.rollback()
        db.session.refresh(order)
    return render(
        "console/shop/order.html",
        order=order,
        sessions=_open_sessions(order.library),
        notice=notice,
        error=error,
        form_key=new_form_key(),
        money=_money,
    ), status


def _move(order_id: str, action):
    try:
        order = orders.order_for_staff(db.session, console_principal(), order_id)
    except DomainError:
        return _not_found()
    try:
        action(order)
    except DomainError as refused:
        return _order_page(order, error=_error_text(refused), status=refused.error.status)
    back = request.form.get("back")
    if back == "library":
        return redirect(url_for("console.shop_library", library_id=order.library.public_id))
    return redirect(url_for("console.shop_order", order_id=order_id, notice="saved"))


@bp.route("/shop/orders/<order_id>/ready", methods=["POST"])
@staff_page(*STAFF)
def shop_order_ready(order_id):
    return _move(order_id, lambda order: orders.mark_ready(db.session, console_principal(), order.public_id))


@bp.route("/shop/orders/<order_id>/collected", methods=["POST"])
@staff_page(*STAFF)
def shop_order_collected(order_id):
    return _move(order_id, lambda order: orders.mark_collected(db.session, console_principal(), order.public_id))


@bp.route("/shop/orders/<order_id>/refund", methods=["POST"])
@staff_page(*STAFF)
def shop_order_refund(order_id):
    try:
        order = orders.order_for_staff(db.session, console_principal(), order_id)
    except DomainError:
        return _not_found()
    try:
        if not claim_form():
            return redirect(url_for("console.shop_order", order_id=order_id, notice="replayed"))
        orders.refund_order(
            db.session,
            console_principal(),
            console_person(),
            order_id,
            cash_session_id=request.form.get("cash_session_id") or None,
        )
    except DomainError as refused:
        return _order_page(order, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.shop_order", order_id=order_id, notice="refunded"))


@bp.route("/shop/orders/<order_id>/receipt")
@staff_page(*STAFF)
def shop_order_receipt(order_id):
    try:
        order = orders.order_for_staff(db.session, console_principal(), order_id)
        receipt = orders.staff_receipt(db.session, console_principal(), order_id)
    except DomainError:
        return _not_found()
    shown = shop_receipts.ShopReceipt(receipt, order)
    if request.args.get("format") == "pdf":
        return Response(shop_receipts.render_pdf(shown, language()), mimetype="application/pdf")
    return Response(shop_receipts.render_html(shown, language()), mimetype="text/html")


# --- catalogue: items and rooms --------------------------------------------------------------


def _catalogue_page(library: Library, *, notice=None, error=None, status=200):
    if error:
        db.session.rollback()
    items = catalog.staff_items(
        db.session, console_principal(), library_id=library.public_id, limit=100, starting_after=None
    ).data
    return render(
        "console/shop/catalogue.html",
        library=library,
        items=items,
        rooms=rooms.rooms_of(db.session, library.public_id, principal=console_principal()),
        hours=rooms.opening_hours(db.session, library),
        categories=CATEGORIES,
        vats=VAT_TREATMENTS,
        notice=notice,
        error=error,
        form=request.form if error else {},
        money=_money,
    ), status


@bp.route("/shop/<library_id>/catalogue")
@staff_page(*STAFF)
def shop_catalogue(library_id):
    try:
        library = _library(library_id)
    except DomainError:
        return _not_found()
    return _catalogue_page(library, notice=_text("saved") if request.args.get("notice") == "saved" else None)


def _stock(raw: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 1_000_000:
        raise DomainError(e.STOCK_INVALID, param="stock")
    return int(raw)


def _choice(name: str, allowed, default: str) -> str:
    value = request.form.get(name, default)
    if value not in allowed:
        raise DomainError(e.CHOICE_INVALID, param=name)
    return value


def _names() -> dict:
    form = request.form
    names = {lang: form.get(f"name_{lang}", "").strip()[:200] for lang in ("it", "en")}
    if not all(names.values()):
        raise DomainError(e.NAME_REQUIRED, param="name_it")
    return {"name_it": names["it"], "name_en": names["en"]}


def _catalogue_form(library_id: str, work):
    """A catalogue form of one of the caller's libraries: ``work(library)``, then back to the page (or why not)."""
    try:
        library = _library(library_id)
    except DomainError:
        return _not_found()
    try:
        work(library)
    except DomainError as refused:
        return _catalogue_page(library, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.shop_catalogue", library_id=library.public_id, notice="saved"))


@bp.route("/shop/<library_id>/items", methods=["POST"])
@staff_page(*STAFF)
def shop_item_create(library_id):
    form = request.form
    return _catalogue_form(
        library_id,
        lambda library: catalog.create_item(
            db.session,
            console_principal(),
            {
                "library_id": library.public_id,
                **_names(),
                "description_it": form.get("description_it", "").strip()[:2000],
                "description_en": form.get("description_en", "").strip()[:2000],
                "category": _choice("category", CATEGORIES, "other"),
                "vat": _choice("vat", VAT_TREATMENTS, "vat_22"),
                "price": parse_amount(form.get("price", ""), param="price"),
                "stock": _stock(form.get("stock", "")),
            },
        ),
    )


@bp.route("/shop/items/<item_id>", methods=["POST"])
@staff_page(*STAFF)
def shop_item_update(item_id):
    try:
        item = catalog.item_for_staff(db.session, console_principal(), item_id)
    except DomainError:
        return _not_found()
    library = item.library
    if library is None:  # network items are managed through the API by the network's admins
        return _not_found()
    form = request.form
    try:
        catalog.update_item(
            db.session,
            console_principal(),
            item_id,
            {
                "price": parse_amount(form.get("price", ""), param="price"),
                "stock": _stock(form.get("stock", "")),
                "active": form.get("active") == "on",
            },
        )
    except DomainError as refused:
        return _catalogue_page(library, error=_error_text(refused), status=refused.error.status)
    return redirect(url_for("console.shop_catalogue", library_id=library.public_id, notice="saved"))


def _capacity() -> int:
    capacity = request.form.get("capacity", "").strip()
    if not capacity.isdigit() or not 0 < int(capacity) <= 10_000:
        raise DomainError(e.CAPACITY_INVALID, param="capacity")
    return int(capacity)


@bp.route("/shop/<library_id>/rooms", methods=["POST"])
@staff_page(*STAFF)
def shop_room_create(library_id):
    return _catalogue_form(
        library_id,
        lambda library: rooms.create_room(
            db.session,
            console_principal(),
            {
                "library_id": library.public_id,
                **_names(),
                "capacity": _capacity(),
                "price_per_hour": parse_amount(request.form.get("price_per_hour", ""), param="price_per_hour"),
                "vat": _choice("vat", VAT_TREATMENTS, "vat_22"),
            },
        ),
    )
