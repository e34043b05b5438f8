"""Demo +Teca: three campaigns, donors on the wall with each privacy choice, supporter cards.

- "Un angolo morbido per i più piccoli" (Rho, keep-it-all, Art Bonus): live, near its goal;
- "Bibliobus per le frazioni" (CSBNO network, all-or-nothing): live, pledges held on wallets;
- "Festival della lettura 2026" (Legnano): funded, settled, with updates and the final report.

Donations go through the real services (ledger, holds, closing), so the demo's
books pass the audit. Demo supporters' wallets are funded as card top-ups would be.
"""

from __future__ import annotations

from datetime import timedelta

from backend.accounts.models import Patron
from backend.auth.passwords import hash_secret
from backend.campaigns import closing, services, supporter
from backend.campaigns.donations import donate
from backend.campaigns.models import Campaign, CampaignState, FundingModel, Visibility
from backend.db import utcnow
from backend.ledger.services import Funding, card_account, credit, debit, post_entry, wallet_of
from backend.money import Money

SUPPORTERS = [
    ("Chiara", "Fontana"),
    ("Matteo", "Greco"),
    ("Sofia", "Marino"),
    ("Lorenzo", "Conti"),
    ("Giorgia", "Ricci"),
    ("Andrea", "Moretti"),
]


def _fund(session, patron: Patron, cents: int, n: int) -> None:
    wallet = wallet_of(session, patron)
    clearing = card_account(session, "card_clearing", "sandbox")
    post_entry(
        session,
        kind="topup_card",
        legs=[debit(clearing, Money(cents)), credit(wallet, Money(cents))],
        memo="demo card top-up",
        reference=f"demo-teca-{n}",
        funding=Funding("card", f"pi_sbx_demo_teca_{n}"),
    )


def _campaign(
    session,
    ctx,
    *,
    library,
    title,
    story,
    goal,
    days,
    model=FundingModel.KEEP_IT_ALL,
    art_bonus=False,
    causes=(),
    lat=None,
    lon=None,
    images=(),
) -> Campaign:
    campaign = Campaign(
        network_id=ctx.network.id,
        library_id=library.id if library else None,
        title=title,
        story=story,
        images=list(images),
        good_causes=list(causes),
        goal=goal,
        currency="EUR",
        deadline=utcnow() + timedelta(days=days),
        model=model,
        art_bonus=art_bonus,
        state=CampaignState.DRAFT,
        latitude=lat,
        longitude=lon,
        art_bonus_beneficiary=f"Comune di {library.city} – {library.name}" if art_bonus and library else "",
        art_bonus_purpose="Arredi e libri per la sezione 0-6 anni" if art_bonus else "",
    )
    campaign.network, campaign.library = ctx.network, library
    session.add(campaign)
    session.flush()
    services.launch(session, campaign)
    return campaign


def seed_campaigns(session, ctx) -> None:
    settings = ctx.settings
    rho, legnano = ctx.libraries[0], ctx.libraries[1]
    people = list(ctx.patrons[:3])
    for i, (first, last) in enumerate(SUPPORTERS):
        patron = Patron(
            card_number=f"CSBNO{101 + i:07d}",
            pin_hash=hash_secret("0000"),
            first_name=first,
            last_name=last,
            language="it",
            home_network=ctx.network,
            home_library=ctx.libraries[i % 3],
            status="active",
            email=f"{first.lower()}.{last.lower()}@example.org",
        )
        session.add(patron)
        people.append(patron)
    session.flush()
    for n, patron in enumerate(people):
        _fund(session, patron, 60_000, n)

    corner = _campaign(
        session,
        ctx,
        library=rho,
        title="Un angolo morbido per i più piccoli",
        story="Tappeti, cuscini e 300 albi illustrati per la sezione 0-6 anni della Civica di Rho.",
        goal=150_000,
        days=9,
        art_bonus=True,
        causes=["Arredi morbidi", "Albi illustrati"],
        lat=45.5286,
        lon=9.0403,
    )
    bus = _campaign(
        session,
        ctx,
        library=None,
        title="Bibliobus per le frazioni",
        story="Un furgone attrezzato porta i libri del CSBNO nelle frazioni senza biblioteca.",
        goal=800_000,
        days=40,
        model=FundingModel.ALL_OR_NOTHING,
        causes=["Il furgone", "Gli scaffali"],
    )
    festival = _campaign(
        session,
        ctx,
        library=legnano,
        title="Festival della lettura 2026",
        story="Tre giorni di incontri, letture e laboratori in piazza San Magno.",
        goal=60_000,
        days=5,
        causes=["Ospiti", "Laboratori"],
        lat=45.5958,
        lon=8.9187,
    )

    choices = [Visibility.NAME_AND_AMOUNT, Visibility.NAME_ONLY, Visibility.ANONYMOUS]
    gifts = [
        (0, 30_000, "Per i miei nipoti!"),
        (1, 25_000, None),
        (2, 15_000, None),
        (3, 20_000, "Che bella idea"),
        (4, 18_000, None),
        (5, 12_000, "Grazie Civica"),
        (6, 10_000, None),
        (7, 5_000, None),
        (8, 4_000, None),
    ]
    for i, (who, cents, message) in enumerate(gifts):
        made = donate(
            session,
            settings,
            people[who],
            corner,
            Money(cents),
            visibility=choices[i % 3],
            message=message,
            art_bonus=who == 0,
            tax_code="BNCGLI90A41F205H" if who == 0 else None,
        ).donation
        if message and i != 5:
            made.message_status = "approved"  # one message (i == 5) waits for the librarian
    for i, who in enumerate((1, 3, 5, 7)):
        donate(session, settings, people[who], bus, Money(15_000 + 5_000 * i), visibility=choices[(i + 1) % 3])
    for i, who in enumerate((2, 4, 6, 8, 0)):
        donate(session, settings, people[who], festival, Money(13_000), visibility=choices[i % 3])
    librarian = ctx.staff["librarian"]
    services.post_update(
        session, festival, librarian, body="Ecco il programma: 12 ospiti e 20 laboratori.", results="Programma completo"
    )
    festival.deadline = utcnow() - timedelta(hours=2)
    session.flush()
    closing.settle_campaign(session, festival)
    services.post_update(
        session,
        festival,
        librarian,
        body="Il festival è stato un successo: 4.000 presenze!",
        results="4.000 presenze, 20 laboratori, 12 autori",
        final_report=False,
    )
    services.post_update(session, corner, librarian, body="Siamo quasi all'obiettivo: grazie a tutti!")

    supporter.set_plan(session, ctx.network, Money(1000), True)
    for patron in (ctx.patrons[0], ctx.patrons[2]):
        supporter.buy(session, None, patron, ctx.network.public_id, method="wallet")
