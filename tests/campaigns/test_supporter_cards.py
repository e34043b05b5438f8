"""Supporter cards: price set by the network, 12 months, renewable, a donation to the network's +Teca fund."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.campaigns.models import SupporterCard
from backend.campaigns.supporter import holds_supporter_card
from backend.db import utcnow
from backend.ledger.models import LedgerAccount
from backend.ledger.services import account_balance
from tests.campaigns.helpers import assert_audit_clean, auth, balance, key, make_world


def _buy(client, patron, network, method="wallet"):
    return client.post(
        "/v1/campaigns/supporter-cards",
        json={"network_id": network.public_id, "method": method},
        headers={**auth(patron), **key()},
    )


def test_a_network_sells_its_card_and_a_renewal_starts_when_the_card_ends(client, db):
    world = make_world(db, patrons=2, funds=5000)
    patron, other = world.patrons
    assert _buy(client, patron, world.network).json["error"]["code"] == "supporter_card_not_sold"
    not_admin = client.put(
        f"/v1/campaigns/supporter-cards/plans/{world.network.public_id}",
        json={"price": {"amount": 1000, "currency": "EUR"}},
        headers=auth(world.librarian),
    )
    assert not_admin.status_code == 403
    plan = client.put(
        f"/v1/campaigns/supporter-cards/plans/{world.network.public_id}",
        json={"price": {"amount": 1000, "currency": "EUR"}},
        headers=auth(world.admin),
    )
    assert plan.status_code == 200 and plan.json["price"]["amount"] == 1000
    assert client.get(f"/v1/campaigns/supporter-cards/plans/{world.network.public_id}").json["active"] is True

    first = _buy(client, patron, world.network)
    assert first.status_code == 201, first.json
    card = first.json["card"]
    assert card["valid_now"] is True and first.json["donation"]["purpose"] == "supporter_card"
    renewal = _buy(client, patron, world.network)
    assert renewal.json["card"]["valid_from"] == card["valid_until"]
    assert balance(db, patron) == (3000, 0)
    cards = client.get("/v1/campaigns/supporter-cards", headers=auth(patron)).json["data"]
    assert len(cards) == 2
    assert client.get("/v1/campaigns/supporter-cards", headers=auth(other)).json["data"] == []

    db.rollback()
    fund = db.scalar(select(LedgerAccount).where(LedgerAccount.key == f"campaign_fund:{world.network.public_id}"))
    assert account_balance(db, fund).amount == 2000
    now = utcnow()
    assert holds_supporter_card(db, patron.id, world.network.id, now)
    assert holds_supporter_card(db, patron.id, world.network.id, now + timedelta(days=500))
    assert not holds_supporter_card(db, patron.id, world.network.id, now + timedelta(days=800))
    assert not holds_supporter_card(db, other.id, world.network.id, now)
    assert len(db.scalars(select(SupporterCard)).all()) == 2
    db.commit()
    assert_audit_clean(db)


def test_partner_offers_see_the_supporter_card(client, db):
    from backend.campaigns.supporter import set_plan
    from backend.money import Money
    from backend.partners.eligibility import holds_supporter_card as partners_ask

    world = make_world(db, patrons=2, funds=5000)
    set_plan(db, world.network, Money(1000), True)
    db.commit()
    assert _buy(client, world.patrons[0], world.network).status_code == 201
    db.rollback()
    assert partners_ask(db, world.patrons[0].id, world.network.id, utcnow())
    assert not partners_ask(db, world.patrons[1].id, world.network.id, utcnow())
    db.commit()
