"""Demo Socialbook: four guides across two networks, one with a kit and two linked events,
demo patrons following it and halfway through it.

Built with the domain's own services (records by ISBN, publish, link, follow,
progress), so the demo shows what the app would.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.accounts.models import Library
from backend.errors import DomainError
from backend.events.models import Event, EventState
from backend.guides import catalog, kits, reading
from backend.guides.models import Guide, GuideState, Kit, ReadingState, Visibility
from backend.guides.records import normalize_isbn, record_for, set_opac_template

# (isbn, title, authors, year, curator's note)
BULLYING = [
    ("9788804668237", "Wonder", "R. J. Palacio", 2013, "Per parlare di differenze e di coraggio in classe."),
    ("9788806219352", "Il buio oltre la siepe", "Harper Lee", 2016, "Il pregiudizio visto da una bambina."),
    ("9788817050296", "Bulli e pupe", "Anna Sarfatti", 2012, "Storie brevi da leggere ad alta voce."),
    ("9788845292613", "Io non ho paura", "Niccolò Ammaniti", 2001, "Amicizia e paura in un'estate del Sud."),
]
NOIR = [
    ("9788807030321", "Milano calibro 9", "Giorgio Scerbanenco", 1969, "Il padre del noir milanese."),
    ("8804473282", "Il nome della rosa", "Umberto Eco", 1980, "Un giallo medievale, per cominciare."),
]
EARLY_YEARS = [
    ("9788804473305", "A caccia dell'orso", "Michael Rosen", 1994, "Da leggere facendo i versi."),
]
MILANO = [
    ("9788806219369", "La vita agra", "Luciano Bianciardi", 1962, "La Milano del boom, vista storta."),
]


def _guide(
    session,
    network,
    library,
    title_it,
    title_en,
    theme,
    description,
    ages,
    tags,
    items,
    *,
    visibility=Visibility.EVERYONE,
) -> Guide:
    guide = Guide(
        network=network,
        library=library,
        title_it=title_it,
        title_en=title_en,
        theme=theme,
        description_it=description,
        audience="Scuole e famiglie" if ages[0] is not None and ages[0] < 15 else "Adulti",
        age_min=ages[0],
        age_max=ages[1],
        tags=catalog.normalize_tags(tags),
        visibility=visibility,
        state=GuideState.DRAFT,
        created_by="demo",
    )
    session.add(guide)
    session.flush()
    for isbn, title, authors, year, note in items:
        record = record_for(session, network, isbn=normalize_isbn(isbn), title=title, authors=authors, year=year)
        catalog.append_record(session, guide, record, note)
    session.refresh(guide)
    return catalog.publish(session, guide)


def seed_guides(session, ctx) -> None:
    network, other = ctx.network, ctx.other_network
    rho = ctx.libraries[0]
    sormani = session.scalar(select(Library).where(Library.network_id == other.id))
    set_opac_template(session, network, "https://opac.csbno.example/record?isbn={isbn}")
    set_opac_template(session, other, "https://opac.milano.example/search?isbn={isbn}")

    bullying = _guide(
        session,
        network,
        rho,
        "Stop bullismo",
        "Stop bullying",
        "bullismo",
        "Libri per parlare di bullismo a scuola e in famiglia, scelti dalla Biblioteca di Rho.",
        (11, 14),
        ["scuola", "bullismo"],
        BULLYING,
    )
    _guide(
        session,
        network,
        None,
        "Crescere con i libri 0–6",
        "Growing up with books 0–6",
        "prima infanzia",
        "Le letture consigliate dalla rete CSBNO per i più piccoli.",
        (0, 6),
        ["nati per leggere"],
        EARLY_YEARS,
    )
    _guide(
        session,
        other,
        sormani,
        "Milano noir",
        "Milan noir",
        "noir",
        "Il giallo e il noir ambientati a Milano, dalla Biblioteca Sormani.",
        (16, None),
        ["gialli", "milano"],
        NOIR,
    )
    _guide(
        session,
        other,
        sormani,
        "Milano anni Sessanta",
        "Milan in the sixties",
        "storia",
        "Per i lettori del Sistema Bibliotecario di Milano.",
        (16, None),
        ["milano"],
        MILANO,
        visibility=Visibility.NETWORK,
    )

    # One kit and two linked events for "Stop bullismo".
    kit = Kit(
        library=rho,
        title="Valigia «Stop bullismo»",
        units=2,
        loan_days=14,
        deposit=2000,
        fee=0,
        late_fee_per_day=100,
        currency="EUR",
        active=True,
        description="20 copie di «Wonder», giochi di ruolo e schede per l'insegnante.",
    )
    session.add(kit)
    session.flush()
    kits.attach_guide(session, kit, bullying)
    events = session.scalars(
        select(Event).where(Event.network_id == network.id, Event.status == EventState.PUBLISHED).order_by(Event.id)
    ).all()
    for event in events[:2]:
        try:
            with session.begin_nested():
                catalog.link_event(session, bullying, event_id=event.public_id)
        except DomainError:
            continue

    # Demo patrons follow it; Giulia and Marco are halfway through it.
    for patron in ctx.patrons[:3]:
        reading.follow(session, patron, bullying.public_id)
    items = list(bullying.items)
    for patron in ctx.patrons[:2]:
        for item in items[: len(items) // 2]:
            reading.set_progress(session, patron, item.record.public_id, ReadingState.READ)
        reading.set_progress(session, patron, items[len(items) // 2].record.public_id, ReadingState.READING)
    # A class of Amina's school has the kit booked next week (if her demo wallet covers the deposit).
    try:
        with session.begin_nested():
            start = kits.today_in_rome() + timedelta(days=7)
            kits.reserve(
                session,
                ctx.patrons[2],
                kit,
                start=start,
                end=start + timedelta(days=9),
                quantity=1,
                pickup_library_id=rho.public_id,
            )
    except DomainError:
        pass
    session.flush()
