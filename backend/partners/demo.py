"""Demo partners: a cinema, a theatre and a museum with offers of each benefit kind, and a month of uses.

The README's partner login (``cassa@cinemaroma.demo``) works at Cinema Teatro Roma, whose
statement has last month's and this month's redemptions. Demo patrons get passes for a
*demo phone* whose key is derived from their card number (``demo_phone_key``), so
``borsellino partners demo-pass CSBNO0000001`` can play the app: it renews the pass and
prints the code the phone would show now (QR and typed code) for the console's scan page.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta

import pyotp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.accounts.models import Partner, PartnerVenue, Patron
from backend.db import utcnow
from backend.i18n import ROME
from backend.partners.models import Agreement, Offer, Pass, Redemption
from backend.partners.passes import PASS_LIFETIME, _short_code
from backend.partners.passkeys import b64url
from backend.partners.redeem import price, reimburse

HOURS = {day: [["15:00", "23:30"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def demo_phone_key(card_number: str) -> Ed25519PrivateKey:
    """The demo phone of a demo patron (never used outside the demo)."""
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"borsellino-demo-phone:" + card_number.encode()).digest()
    )


def demo_device_key(card_number: str) -> str:
    raw = (
        demo_phone_key(card_number)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return b64url(raw)


def seed_partners(session, ctx) -> None:
    net = ctx.network
    today = utcnow().astimezone(ROME).date()
    start, end = today.replace(day=1) - timedelta(days=62), today + timedelta(days=365)

    cinema_co = Partner(
        network=net,
        name="Cinema Teatro Roma",
        tax_code="00743110157",
        iban="IT60X0542811101000000123456",
        contact_name="Paolo Ferri",
        contact_email="cassa@cinemaroma.demo",
        wallet_payments=True,
    )
    cinema = ctx.venue  # the demo venue of the partner login
    cinema.partner, cinema.kind = cinema_co, "cinema"
    cinema.address, cinema.latitude, cinema.longitude, cinema.opening_hours = (
        "Via Garibaldi 92, Rho",
        45.5283,
        9.0403,
        HOURS,
    )
    theatre_co = Partner(
        network=net, name="Teatro Civico di Legnano", tax_code="84003570153", iban="IT02A0306909606100000063373"
    )
    theatre = PartnerVenue(
        network=net,
        partner=theatre_co,
        name="Teatro Civico Tirinnanzi",
        kind="theatre",
        city="Legnano",
        address="Piazza Il Redentore 9",
        latitude=45.5958,
        longitude=8.9186,
        opening_hours={"fri": [["20:00", "23:30"]], "sat": [["20:00", "23:30"]], "sun": [["15:00", "19:00"]]},
    )
    museum_co = Partner(
        network=net, name="MA*GA Museo Arte Gallarate", tax_code="91032080120", iban="IT40S0542811101000000123456"
    )
    museum = PartnerVenue(
        network=net,
        partner=museum_co,
        name="Museo MA*GA",
        kind="museum",
        city="Gallarate",
        address="Via Egidio De Magri 1",
        latitude=45.6601,
        longitude=8.7912,
        opening_hours={d: [["10:00", "18:00"]] for d in ("tue", "wed", "thu", "fri", "sat", "sun")},
    )
    session.add_all([cinema_co, theatre_co, museum_co, theatre, museum])
    ctx.staff["partner"].partner = cinema_co

    networks = [net] + ([ctx.other_network] if ctx.other_network is not None else [])
    cinema_deal = Agreement(
        partner=cinema_co,
        network=net,
        title="Convenzione cinema 2026",
        valid_from=start,
        valid_to=end,
        budget_cap=50_000,
        eligible_networks=networks,
    )
    theatre_deal = Agreement(
        partner=theatre_co,
        network=net,
        title="Stagione teatrale",
        valid_from=start,
        valid_to=end,
        eligible_networks=[net],
    )
    museum_deal = Agreement(
        partner=museum_co,
        network=net,
        title="Abbonamento musei",
        valid_from=start,
        valid_to=end,
        budget_cap=200_000,
        eligible_networks=[net],
    )
    session.add_all([cinema_deal, theatre_deal, museum_deal])

    def offer(agreement, venues, **values):
        values = {"weekdays": [], "network_ids": [], "library_ids": [], "age_bands": [], **values}
        o = Offer(agreement=agreement, venues=venues, valid_from=start, valid_to=end, **values)
        session.add(o)
        return o

    reduced = offer(
        cinema_deal,
        [cinema],
        title_it="Biglietto ridotto 20%",
        title_en="20% off the ticket",
        conditions_it="Per i lettori delle biblioteche, tutti i giorni.",
        conditions_en="For library patrons, every day.",
        category="cinema",
        benefit_kind="percent_off",
        benefit_value=20,
        per_patron_day=2,
        per_patron_month=8,
    )
    tuesday = offer(
        cinema_deal,
        [cinema],
        title_it="Martedì a 5 €",
        title_en="Tuesdays at €5",
        conditions_it="Il martedì, biglietto a 5 €: la rete rimborsa 2 € al cinema.",
        conditions_en="On Tuesdays, a €5 ticket: the network pays the cinema €2 back.",
        category="cinema",
        benefit_kind="fixed_price",
        benefit_value=500,
        weekdays=[2],
        per_patron_week=1,
        bearer="network",
        reimbursement_rule="fixed",
        reimbursement_value=200,
    )
    offer(
        cinema_deal,
        [cinema],
        title_it="2 al prezzo di 1 per gli under 26",
        title_en="2 for 1 for under-26s",
        category="cinema",
        benefit_kind="two_for_one",
        age_bands=["14_17", "18_25"],
        per_patron_month=2,
    )
    offer(
        theatre_deal,
        [theatre],
        title_it="3 € di sconto in platea",
        title_en="€3 off stalls seats",
        conditions_it="Spettacoli serali del venerdì e sabato.",
        conditions_en="Friday and Saturday evenings.",
        category="theatre",
        benefit_kind="amount_off",
        benefit_value=300,
        weekdays=[5, 6],
        time_from="19:00",
        time_to="23:30",
        per_patron_month=4,
        total_limit=500,
    )
    offer(
        museum_deal,
        [museum],
        title_it="Ingresso gratuito",
        title_en="Free entry",
        conditions_it="La rete rimborsa al museo il 50% del biglietto.",
        conditions_en="The network pays the museum 50% of the ticket.",
        category="museum",
        benefit_kind="free_entry",
        per_patron_month=1,
        bearer="network",
        reimbursement_rule="percent",
        reimbursement_value=50,
    )
    offer(
        museum_deal,
        [museum],
        title_it="Sostenitori +Teca: ingresso gratuito anche per un accompagnatore",
        title_en="+Teca supporters: free entry for a companion too",
        category="museum",
        benefit_kind="free_entry",
        max_quantity=2,
        requires_supporter_card=True,
        per_patron_month=1,
    )
    session.flush()

    # Age bands show on the till's screen and open age-limited offers.
    for patron, born in zip(ctx.patrons, ("1991-04-12", "2005-09-30", "1956-02-03", "1984-11-20")):
        patron.birth_date = datetime.strptime(born, "%Y-%m-%d").date()
    # Passes of the demo phones, and a month of redemptions at the cinema.
    now = utcnow()
    passes = {}
    for patron in ctx.patrons:
        passes[patron.id] = Pass(
            patron_id=patron.id,
            device_key=demo_device_key(patron.card_number),
            short_code=_short_code(),
            otp_secret=pyotp.random_base32(),
            expires_at=now + PASS_LIFETIME,
            created_at=now,
        )
    session.add_all(passes.values())
    session.flush()
    first_day = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    day, n = first_day, 0
    while day < today:
        for patron in ctx.patrons[:3]:
            n += 1
            if n % 3:
                continue
            chosen = tuesday if day.isoweekday() == 2 else reduced
            at = datetime.combine(day, time(17 + n % 5, 10 * (n % 6)), ROME).astimezone(UTC)
            _use(session, ctx, chosen, cinema, cinema_co, patron, passes[patron.id], at, 850)
        day += timedelta(days=1)
    session.flush()
    ctx.logins.append(
        "partners   cinema, theatre, museum with offers; passes: "
        "`borsellino partners demo-pass CSBNO0000001`, validate at /console/partners/scan"
    )


def _use(session, ctx, offer: Offer, venue, partner, patron: Patron, pass_: Pass, at, list_price: int) -> None:
    discount, to_pay, reimbursement = price(offer, list_price, 1)
    redemption = Redemption(
        offer_id=offer.id,
        agreement_id=offer.agreement_id,
        partner_id=partner.id,
        venue_id=venue.id,
        patron_id=patron.id,
        pass_id=pass_.id,
        staff_user_id=ctx.staff["partner"].id,
        channel="online",
        scanned_at=at,
        quantity=1,
        list_price=list_price,
        discount=discount,
        price_to_pay=to_pay,
        reimbursement=reimbursement,
        created_at=at,
    )
    session.add(redemption)
    session.flush()
    reimburse(session, redemption, offer.agreement, partner, ctx.staff["partner"].public_id)
