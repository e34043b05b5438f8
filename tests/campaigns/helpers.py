"""A small +Teca world: a network, libraries, a librarian, funded patrons, campaigns."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from backend.campaigns.models import Campaign, CampaignState, Donation
from backend.db import utcnow
from backend.ledger.audit import run_audit
from backend.ledger.services import wallet_of
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff
from tests.support.ledger import fund_wallet


@dataclass
class World:
    network: object
    library: object
    other_library: object
    librarian: object
    other_librarian: object
    admin: object
    patrons: list = field(default_factory=list)


def make_world(session, *, patrons=2, funds=10_000, source="card") -> World:
    network = make_network(session)
    library, other = make_library(session, network), make_library(session, network)
    world = World(
        network,
        library,
        other,
        make_staff(session, "librarian", network, libraries=[library]),
        make_staff(session, "librarian", network, libraries=[other]),
        make_staff(session, "admin", network),
    )
    for _ in range(patrons):
        patron = make_patron(session, network, library)
        if funds:
            fund_wallet(session, patron, funds, source=source)
        world.patrons.append(patron)
    session.commit()
    return world


def make_campaign(
    session,
    world: World,
    *,
    goal=10_000,
    model="keep_it_all",
    days=10,
    state=CampaignState.LIVE,
    art_bonus=False,
    library=None,
    **extra,
) -> Campaign:
    campaign = Campaign(
        network_id=world.network.id,
        library_id=(library or world.library).id,
        title="Angolo bimbi",
        story="Un angolo per i più piccoli",
        goal=goal,
        currency="EUR",
        deadline=utcnow() + timedelta(days=days),
        model=model,
        state=state,
        art_bonus=art_bonus,
        art_bonus_beneficiary="Comune di Rho – Biblioteca civica" if art_bonus else "",
        art_bonus_purpose="Acquisto arredi per la sezione ragazzi" if art_bonus else "",
        images=[],
        good_causes=["Arredi"],
        **extra,
    )
    session.add(campaign)
    session.commit()
    return campaign


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def auth(person) -> dict:
    headers = bearer(person)
    session = object_session(person)
    if session is not None:
        session.commit()
    return headers


def donate(client, patron, campaign, amount=1000, *, headers=None, **body):
    return client.post(
        f"/v1/campaigns/{campaign.public_id}/donations",
        json={"amount": {"amount": amount, "currency": "EUR"}, **body},
        headers={**auth(patron), **(headers or key())},
    )


def console_sign_in(client, staff, password="staff-password") -> str:
    """Sign ``staff`` in to the console on ``client``; the page's CSRF token."""
    page = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/console/login", data={"email": staff.email, "password": password, "csrf_token": token})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return token


def csrf_of(client, path) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def balance(session, patron) -> tuple[int, int]:
    """(balance, held) of the patron's wallet, fresh."""
    session.rollback()
    wallet = wallet_of(session, patron)
    session.refresh(wallet)
    out = (wallet.balance, wallet.held)
    session.commit()
    return out


def donation_count(session, **where) -> int:
    session.rollback()
    stmt = select(func.count()).select_from(Donation)
    for name, value in where.items():
        stmt = stmt.where(getattr(Donation, name) == value)
    out = session.scalar(stmt)
    session.commit()
    return out


def assert_audit_clean(session):
    session.rollback()
    session.expire_all()
    report = run_audit(session)
    session.commit()
    assert report.clean, report.problems


def fund_balance(session, campaign) -> int:
    from backend.ledger.models import LedgerAccount
    from backend.ledger.services import account_balance

    session.rollback()
    account = session.scalar(select(LedgerAccount).where(LedgerAccount.key == f"campaign_fund:{campaign.public_id}"))
    out = account_balance(session, account).amount if account else 0
    session.commit()
    return out
