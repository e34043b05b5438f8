"""Demo program of "Cose da Fare": events across the libraries, some free, one nearly sold out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from backend.db import utcnow
from backend.events.models import Event, Occurrence, TicketType
from backend.events.times import ROME, to_utc

# (library index, title, category, venue, (lat, lon), audience, [(name, kind, price, condition)],
#  [(days from today, local start hour, capacity, seats already taken)])
PROGRAM = [
    (
        0,
        "Cineforum d'autunno: «Nuovo Cinema Paradiso»",
        "film",
        "Auditorium della biblioteca, Via Meda 20, Rho",
        (45.5287, 9.0406),
        "Adulti",
        [("Intero", "full", 500, ""), ("Ridotto", "reduced", 300, "Under 26 e over 65, con documento")],
        [(6, 21, 80, 12), (13, 21, 80, 0)],
    ),
    (
        0,
        "Letture ad alta voce per bambini",
        "kids",
        "Sala ragazzi, Via Meda 20, Rho",
        (45.5287, 9.0406),
        "Famiglie con bambini 3-6 anni",
        [("Iscrizione gratuita", "free", 0, "")],
        [(3, 10, 25, 5), (10, 10, 25, 0)],
    ),
    (
        1,
        "Concerto dell'Orchestra giovanile",
        "music",
        "Sala Ratti, Corso Garibaldi 54, Legnano",
        (45.5957, 8.9180),
        "Tutti",
        [("Intero", "full", 1200, ""), ("Ridotto", "reduced", 800, "Studenti")],
        [(9, 20, 200, 196)],
    ),  # nearly sold out
    (
        2,
        "Laboratorio di scrittura creativa",
        "workshop",
        "Il Pertini, Piazza Confalonieri 3, Cinisello Balsamo",
        (45.5558, 9.2145),
        "Adulti",
        [("Partecipazione", "full", 1500, "")],
        [(5, 18, 15, 3)],
    ),
    (
        2,
        "Mostra: Fumetto italiano 1960-2000",
        "exhibition",
        "Il Pertini, Piazza Confalonieri 3, Cinisello Balsamo",
        (45.5558, 9.2145),
        "Tutti",
        [("Ingresso libero", "free", 0, "")],
        [(2, 16, 100, 20), (4, 16, 100, 0)],
    ),
]


def _local(days: int, hour: int) -> datetime:
    day = date.today() + timedelta(days=days)
    return to_utc(datetime.combine(day, time(hour, 0)).replace(tzinfo=ROME))


def seed_events(session, ctx) -> None:
    for lib_index, title, category, venue, (lat, lon), audience, types, dates in PROGRAM:
        library = ctx.libraries[lib_index % len(ctx.libraries)]
        name, _, address = venue.partition(", ")
        event = Event(
            network=ctx.network,
            library=library,
            title=title,
            category=category,
            description=f"{title}: un appuntamento di «Cose da Fare» a {library.city}.",
            audience=audience,
            venue_name=name,
            venue_address=address,
            latitude=lat,
            longitude=lon,
            accessibility="Accessibile in sedia a rotelle; sala con anello magnetico.",
            status="published",
            per_patron_limit=4,
        )
        for position, (type_name, kind, price, condition) in enumerate(types):
            event.ticket_types.append(
                TicketType(name=type_name, kind=kind, price=price, condition=condition, position=position)
            )
        for days, hour, capacity, taken in dates:
            starts = _local(days, hour)
            if starts <= utcnow():
                continue
            # Seats already taken at the box office of the library (not through the app).
            event.occurrences.append(Occurrence(starts_at=starts, capacity=capacity, sold=taken, status="scheduled"))
        session.add(event)
    session.flush()
