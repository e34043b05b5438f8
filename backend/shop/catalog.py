"""The shop's catalogue: who manages which items, and what a library sells now.

Librarians manage their own libraries' items; network admins also the network's
items (sold by the libraries they list, or by all of the network's). Staff outside
an item's scope get the same 404 as for an item that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from backend.accounts.models import Library, Network
from backend.auth.principal import Principal
from backend.auth.scope import acts_for_library, require_library
from backend.db import get_or_404, utcnow
from backend.errors import NOT_FOUND, DomainError
from backend.pagination import Page, paginate
from backend.shop.models import CATEGORIES, Room, ShopItem, ShopItemLibrary

ITEM_FIELDS = (
    "name_it",
    "name_en",
    "description_it",
    "description_en",
    "image_url",
    "category",
    "vat",
    "stock",
    "active",
    "active_from",
    "active_to",
)


def library_by_id(session: Session, public_id: str, *, param: str = "library_id") -> Library:
    return get_or_404(session, Library, public_id, param=param)


def _network_libraries(session: Session, principal: Principal, library_ids: list[str]) -> list[Library]:
    """The admin's network's libraries named in ``library_ids`` (another network's: 404)."""
    wanted = list(dict.fromkeys(library_ids))
    libraries = list(session.scalars(select(Library).where(Library.public_id.in_(wanted)).order_by(Library.id)))
    if len(libraries) != len(wanted) or any(not acts_for_library(principal, lib) for lib in libraries):
        raise DomainError(NOT_FOUND, param="library_ids")
    return libraries


def manages_item(principal: Principal, item: ShopItem) -> bool:
    if item.library is not None:
        return acts_for_library(principal, item.library)
    return principal.role == "admin" and item.network.public_id == principal.network_id


def item_for_staff(session: Session, principal: Principal, item_id: str) -> ShopItem:
    item = get_or_404(session, ShopItem, item_id, param="item_id")
    if not manages_item(principal, item):
        raise DomainError(NOT_FOUND, param="item_id")
    return item


def create_item(session: Session, principal: Principal, data: dict) -> ShopItem:
    """A library's item (``library_id``), or, for a network admin, a network item (no ``library_id``)."""
    price = data["price"]
    item = ShopItem(
        price=price.amount,
        currency=price.currency,
        **{name: data[name] for name in ITEM_FIELDS if name in data},
    )
    if data.get("library_id"):
        library = require_library(principal, library_by_id(session, data["library_id"]))
        item.library = library
        item.network_id = library.network_id
    else:
        if principal.role != "admin":
            raise DomainError(NOT_FOUND, param="library_id")
        network_libraries = _network_libraries(session, principal, data.get("library_ids") or [])
        item.network = session.scalars(select(Network).where(Network.public_id == principal.network_id)).one()
        item.libraries = network_libraries
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, principal: Principal, item_id: str, changes: dict) -> ShopItem:
    item = item_for_staff(session, principal, item_id)
    for name in ITEM_FIELDS:
        if name in changes:
            setattr(item, name, changes[name])
    if "price" in changes:
        item.price, item.currency = changes["price"].amount, changes["price"].currency
    if "library_ids" in changes:
        if item.library is not None:
            raise DomainError(NOT_FOUND, param="library_ids")
        item.libraries = _network_libraries(session, principal, changes["library_ids"])
    session.flush()
    return item


def staff_items(
    session: Session,
    principal: Principal,
    *,
    library_id: str | None,
    limit: int,
    starting_after: str | None,
) -> Page:
    """Items the caller manages: one library's (``library_id``) or, for an admin, the network's too."""
    stmt = select(ShopItem).options(selectinload(ShopItem.libraries))
    if library_id:
        library = require_library(principal, library_by_id(session, library_id))
        stmt = stmt.where(ShopItem.library_id == library.id)
    elif principal.role == "librarian":
        ids = list(session.scalars(select(Library.id).where(Library.public_id.in_(principal.library_ids))))
        stmt = stmt.where(ShopItem.library_id.in_(ids))
    else:
        stmt = stmt.join(Network, Network.id == ShopItem.network_id).where(Network.public_id == principal.network_id)
    return paginate(session, stmt, ShopItem, limit=limit, starting_after=starting_after)


# --- what a library sells ---------------------------------------------------------------


def on_sale_at(library: Library, now: datetime):
    """The SQL condition: the item is on sale at ``library`` at ``now``."""
    listed = exists().where(ShopItemLibrary.item_id == ShopItem.id)
    listed_here = exists().where(ShopItemLibrary.item_id == ShopItem.id, ShopItemLibrary.library_id == library.id)
    return and_(
        _live(now),
        or_(
            ShopItem.library_id == library.id,
            and_(ShopItem.library_id.is_(None), ShopItem.network_id == library.network_id, or_(~listed, listed_here)),
        ),
    )


def items_on_sale(
    session: Session,
    library_id: str,
    *,
    category: str | None,
    limit: int,
    starting_after: str | None,
    now: datetime | None = None,
) -> Page:
    library = library_by_id(session, library_id)
    stmt = select(ShopItem).where(on_sale_at(library, now or utcnow()))
    if category:
        stmt = stmt.where(ShopItem.category == category)
    return paginate(session, stmt, ShopItem, limit=limit, starting_after=starting_after, descending=False)


def item_on_sale(session: Session, library_id: str, item_id: str, now: datetime | None = None) -> ShopItem:
    library = library_by_id(session, library_id)
    item = session.scalar(select(ShopItem).where(ShopItem.public_id == item_id, on_sale_at(library, now or utcnow())))
    if item is None:
        raise DomainError(NOT_FOUND, param="item_id")
    return item


def _live(now: datetime):
    return and_(
        ShopItem.active.is_(True),
        or_(ShopItem.active_from.is_(None), ShopItem.active_from <= now),
        or_(ShopItem.active_to.is_(None), ShopItem.active_to > now),
    )


def shop_libraries(session: Session, now: datetime | None = None) -> list[dict]:
    """Libraries that sell something or have a room, with the categories they sell (a few queries in all)."""
    now = now or utcnow()
    live = _live(now)
    by_library: dict[int, set[str]] = defaultdict(set)
    for library_id, category in session.execute(
        select(ShopItem.library_id, ShopItem.category).where(live, ShopItem.library_id.is_not(None)).distinct()
    ):
        by_library[library_id].add(category)
    for library_id, category in session.execute(
        select(ShopItemLibrary.library_id, ShopItem.category)
        .join(ShopItem, ShopItem.id == ShopItemLibrary.item_id)
        .where(live, ShopItem.library_id.is_(None))
        .distinct()
    ):
        by_library[library_id].add(category)
    listed = exists().where(ShopItemLibrary.item_id == ShopItem.id)
    by_network: dict[int, set[str]] = defaultdict(set)
    for network_id, category in session.execute(
        select(ShopItem.network_id, ShopItem.category).where(live, ShopItem.library_id.is_(None), ~listed).distinct()
    ):
        by_network[network_id].add(category)
    for (library_id,) in session.execute(select(Room.library_id).where(Room.active.is_(True)).distinct()):
        by_library[library_id].add("room")
    stmt = select(Library).options(selectinload(Library.network)).order_by(Library.network_id, Library.id)
    if by_network:
        stmt = stmt.where(or_(Library.id.in_(by_library), Library.network_id.in_(by_network)))
    else:
        stmt = stmt.where(Library.id.in_(by_library))
    out = []
    for library in session.scalars(stmt):
        categories = by_library.get(library.id, set()) | by_network.get(library.network_id, set())
        out.append({"library": library, "categories": [c for c in CATEGORIES if c in categories]})
    return out
