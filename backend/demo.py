"""Demo data: a believable network, its people, and what each domain adds.

``seed(session, settings)`` runs every seeder in ``SEEDERS`` in order; each
receives the session and a shared ``DemoContext`` (the app's settings and what
earlier seeders created) and may add lines to ``ctx.logins`` that
``borsellino demo`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from backend.accounts.models import Library, Network, PartnerVenue, Patron, StaffUser
from backend.auth.passwords import hash_secret
from backend.config import Settings

STAFF_PASSWORD = "demo-password"


@dataclass
class DemoContext:
    settings: Settings = field(default_factory=Settings)
    network: Network | None = None
    other_network: Network | None = None
    libraries: list[Library] = field(default_factory=list)
    venue: PartnerVenue | None = None
    patrons: list[Patron] = field(default_factory=list)
    staff: dict[str, StaffUser] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)


# (card number, PIN, first name, last name, language)
DEMO_PATRONS = [
    ("CSBNO0000001", "1234", "Giulia", "Bianchi", "it"),
    ("CSBNO0000002", "2345", "Marco", "Rossi", "it"),
    ("CSBNO0000003", "3456", "Amina", "Diallo", "en"),
    ("CSBNO0000004", "4567", "Luca", "Esposito", "it"),
]


def seed_accounts(session: Session, ctx: DemoContext) -> None:
    net = Network(code="CSBNO", name="CSBNO – Culture Socialità Biblioteche Network Operativo")
    other = Network(code="SBM", name="Sistema Bibliotecario di Milano")
    session.add_all([net, other])
    ctx.network, ctx.other_network = net, other
    for code, name, city, address in [
        ("RHO", "Biblioteca Civica di Rho", "Rho", "Via Meda 20"),
        ("LEG", "Biblioteca Civica di Legnano", "Legnano", "Piazza San Magno 6"),
        ("CIN", "Il Pertini – Biblioteca di Cinisello Balsamo", "Cinisello Balsamo", "Piazza Confalonieri 3"),
    ]:
        ctx.libraries.append(Library(network=net, code=code, name=name, city=city, address=address))
    session.add(
        Library(
            network=other, code="SORM", name="Biblioteca Sormani", city="Milano", address="Corso di Porta Vittoria 6"
        )
    )
    session.add_all(ctx.libraries)
    ctx.venue = PartnerVenue(network=net, name="Cinema Teatro Roma", city="Rho")
    session.add(ctx.venue)

    password = hash_secret(STAFF_PASSWORD)
    people = {
        "librarian": ("Sara Colombo", "bibliotecaria@rho.demo"),
        "partner": ("Paolo Ferri", "cassa@cinemaroma.demo"),
        "finance": ("Elena Galli", "finanza@csbno.demo"),
        "admin": ("Davide Riva", "admin@csbno.demo"),
    }
    for role, (name, email) in people.items():
        user = StaffUser(email=email, name=name, role=role, network=net, password_hash=password)
        if role == "librarian":
            user.libraries = [ctx.libraries[0]]
        if role == "partner":
            user.partner_venue = ctx.venue
        ctx.staff[role] = user
        session.add(user)
        ctx.logins.append(f"{role:<10} {email} / {STAFF_PASSWORD}")

    for i, (card, pin, first, last, language) in enumerate(DEMO_PATRONS):
        patron = Patron(
            card_number=card,
            pin_hash=hash_secret(pin),
            first_name=first,
            last_name=last,
            language=language,
            home_network=net,
            home_library=ctx.libraries[i % 3],
            email=f"{first.lower()}.{last.lower()}@example.org",
        )
        ctx.patrons.append(patron)
        session.add(patron)
        ctx.logins.append(f"patron     card {card} / PIN {pin}  ({first} {last})")
    session.flush()


# Each domain appends its seeder here, in dependency order.
SEEDERS = [seed_accounts]
from backend.accounts.demo import seed_sign_in

SEEDERS.append(seed_sign_in)  # noqa: E402,E702
from backend.events.demo import seed_events

SEEDERS.append(seed_events)  # noqa: E402,E702
from backend.desk.demo import seed_desks

SEEDERS.append(seed_desks)  # noqa: E402,E702
from backend.fees.demo import seed_wallets_and_fees

SEEDERS.append(seed_wallets_and_fees)  # noqa: E402,E702
from backend.guides.demo import seed_guides

SEEDERS.append(seed_guides)  # noqa: E402,E702
from backend.partners.demo import seed_partners

SEEDERS.append(seed_partners)  # noqa: E402,E702
from backend.campaigns.demo import seed_campaigns

SEEDERS.append(seed_campaigns)  # noqa: E402,E702
from backend.shop.demo import seed_shop

SEEDERS.append(seed_shop)  # noqa: E402,E702


def seed(session: Session, settings: Settings) -> DemoContext:
    ctx = DemoContext(settings=settings)
    for seeder in SEEDERS:
        seeder(session, ctx)
        session.flush()
    return ctx


from backend.finance.reconciliation.demo import seed_reconciliation

SEEDERS.append(seed_reconciliation)  # noqa: E402,E702

from backend.finance.demo import seed_finance

SEEDERS.append(seed_finance)  # noqa: E402,E702
