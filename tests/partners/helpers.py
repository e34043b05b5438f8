"""Arrange partners for tests: a partner with a cinema and a theatre, its till staff, offers, phones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from backend.accounts.models import Library, Network, Partner, PartnerVenue, Patron, StaffUser
from backend.db import utcnow
from backend.i18n import ROME
from backend.ledger.audit import run_audit
from backend.partners.models import Agreement, Offer, Redemption
from backend.partners.pass_code import show_code
from backend.partners.passkeys import b64url
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff


@dataclass
class World:
    network: Network
    library: Library
    partner: Partner
    cinema: PartnerVenue
    theatre: PartnerVenue
    till: StaffUser
    agreement: Agreement
    admin: StaffUser
    finance: StaffUser
    patrons: list[Patron] = field(default_factory=list)


def make_partner(db, network, name="Cinema Teatro Roma", *, wallet_payments=False):
    partner = Partner(
        network=network,
        name=name,
        tax_code="00743110157",
        iban="IT60X0542811101000000123456",
        wallet_payments=wallet_payments,
    )
    db.add(partner)
    db.flush()
    cinema = PartnerVenue(
        network=network,
        partner=partner,
        name=f"{name} – sala 1",
        kind="cinema",
        city="Rho",
        latitude=45.53,
        longitude=9.04,
    )
    theatre = PartnerVenue(
        network=network,
        partner=partner,
        name=f"{name} – teatro",
        kind="theatre",
        city="Rho",
        latitude=45.53,
        longitude=9.05,
    )
    db.add_all([cinema, theatre])
    db.flush()
    return partner, cinema, theatre


def make_world(db, *, budget_cap=None, wallet_payments=False, patrons=2) -> World:
    network = make_network(db)
    library = make_library(db, network)
    partner, cinema, theatre = make_partner(db, network, wallet_payments=wallet_payments)
    till = make_staff(db, "partner", network)
    till.partner = partner
    today = utcnow().astimezone(ROME).date()
    agreement = Agreement(
        partner=partner,
        network=network,
        title="Convenzione 2026",
        valid_from=today - timedelta(days=60),
        valid_to=today + timedelta(days=60),
        budget_cap=budget_cap,
        eligible_networks=[network],
    )
    db.add(agreement)
    world = World(
        network,
        library,
        partner,
        cinema,
        theatre,
        till,
        agreement,
        make_staff(db, "admin", network),
        make_staff(db, "finance", network),
    )
    for _ in range(patrons):
        world.patrons.append(make_patron(db, network, library))
    db.commit()
    return world


def make_offer(db, world: World, **overrides) -> Offer:
    today = utcnow().astimezone(ROME).date()
    values = dict(
        title_it="Sconto 20%",
        title_en="20% off",
        category="cinema",
        benefit_kind="percent_off",
        benefit_value=20,
        valid_from=today - timedelta(days=30),
        valid_to=today + timedelta(days=30),
        weekdays=[],
        network_ids=[],
        library_ids=[],
        age_bands=[],
    )
    venues = overrides.pop("venues", None) or [world.cinema]
    values.update(overrides)
    offer = Offer(agreement=world.agreement, venues=venues, **values)
    db.add(offer)
    db.commit()
    return offer


class Phone:
    """The app on one phone: its own Ed25519 key, the pass it synced, the code it shows."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.device_key = b64url(raw)
        self.pass_json: dict | None = None

    def sync(self, client, patron) -> dict:
        response = client.post("/v1/partners/pass", json={"device_key": self.device_key}, headers=bearer(patron))
        assert response.status_code == 200, response.get_json()
        self.pass_json = response.get_json()
        return self.pass_json

    def code(self, at=None) -> str:
        return show_code(self.pass_json["token"], self.pass_json["id"], self.key, at or utcnow())


def redeem_body(world: World, offer: Offer, code: str, *, price=1000, quantity=1, venue=None, **extra) -> dict:
    body = {
        "code": code,
        "venue_id": (venue or world.cinema).public_id,
        "offer_id": offer.public_id,
        "list_price": {"amount": price, "currency": "EUR"},
        "quantity": quantity,
    }
    body.update(extra)
    return body


def post_redemption(client, world: World, body: dict, staff=None):
    return client.post(
        "/v1/partners/redemptions",
        json=body,
        headers={**bearer(staff or world.till), "Idempotency-Key": str(uuid.uuid4())},
    )


def redemption_count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Redemption))


def assert_audit_clean(db):
    db.rollback()
    db.expire_all()
    report = run_audit(db)
    db.commit()
    assert report.clean, report.problems
