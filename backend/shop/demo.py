"""Demo shop: every demo library sells printing credit, a tote bag and two used books, and has a room.

Libraries open Monday to Friday 9–19 and Saturday 9–13 (Europe/Rome), which is when the
room can be booked.
"""

from __future__ import annotations

from sqlalchemy import select

from backend.accounts.models import Library
from backend.shop.models import OpeningHours, Room, ShopItem

HOURS = [(day, "09:00", "19:00") for day in range(1, 6)] + [(6, "09:00", "13:00")]
USED_BOOKS = [
    ("Il nome della rosa – Umberto Eco (usato)", "The Name of the Rose – Umberto Eco (used)", 300),
    ("Il Gattopardo – Giuseppe Tomasi di Lampedusa (usato)", "The Leopard – Giuseppe Tomasi di Lampedusa (used)", 400),
]


def _items(library: Library) -> list[ShopItem]:
    common = dict(network_id=library.network_id, library_id=library.id, currency="EUR")
    items = [
        ShopItem(
            **common,
            name_it="Credito stampa e fotocopie 5 €",
            name_en="Printing and photocopy credit 5 €",
            description_it="Si aggiunge subito al tuo credito stampa, valido in tutte le biblioteche della rete.",
            description_en="Added to your printing credit at once, valid in every library of the network.",
            category="printing",
            price=500,
            vat="vat_22",
        ),
        ShopItem(
            **common,
            name_it="Borsa di tela della biblioteca",
            name_en="Library tote bag",
            description_it="Cotone naturale, logo della rete. Si ritira al banco prestiti.",
            description_en="Natural cotton with the network's logo. Collect it at the loans desk.",
            category="merchandise",
            price=800,
            vat="vat_22",
            stock=20,
        ),
    ]
    for name_it, name_en, price in USED_BOOKS:
        items.append(
            ShopItem(
                **common,
                name_it=name_it,
                name_en=name_en,
                description_it="Dalla vendita di libri usati della biblioteca: copia unica.",
                description_en="From the library's used-book sale: a single copy.",
                category="used_books",
                price=price,
                vat="exempt",
                stock=1,
            )
        )
    return items


def seed_shop(session, ctx) -> None:
    libraries = list(session.scalars(select(Library).order_by(Library.id)))
    for library in libraries:
        if session.scalar(select(ShopItem.id).where(ShopItem.library_id == library.id).limit(1)):
            continue  # already seeded
        session.add_all(_items(library))
        session.add_all(
            OpeningHours(library_id=library.id, weekday=day, opens=opens, closes=closes) for day, opens, closes in HOURS
        )
        session.add(
            Room(
                library_id=library.id,
                name_it="Sala riunioni",
                name_en="Meeting room",
                description_it="Tavolo per 12, proiettore e lavagna. Disdetta gratuita fino a 24 ore prima.",
                description_en="A table for 12, projector and whiteboard. Free cancellation up to 24 hours before.",
                capacity=12,
                price_per_hour=1500,
                currency="EUR",
                vat="vat_22",
                cancel_cutoff_hours=24,
            )
        )
    session.flush()
    ctx.logins.append(
        "shop       every library sells printing credit, a tote bag, two used books, and books its meeting room: "
        "/v1/shop/libraries, /console/shop as the librarian"
    )
