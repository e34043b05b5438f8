"""Between networks through the real services: A's patron buys B's ticket, gives to B's campaign, pays at
B's partner's till. Each time the wallet liability stays with A, the income goes to B, the position
between them is booked, and the patron's app shows one wallet and nothing of it."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from backend.ledger.audit import run_audit
from backend.ledger.models import LedgerAccount, Posting
from tests.campaigns.helpers import donate, make_campaign
from tests.campaigns.helpers import make_world as make_campaign_world
from tests.events.helpers import buy_body
from tests.events.helpers import make_world as make_event_world
from tests.partners.helpers import Phone
from tests.partners.helpers import make_world as make_partner_world
from tests.support.factories import bearer, make_library, make_network, make_patron
from tests.support.ledger import fund_wallet


def _settlement(db, network) -> int:
    """The network's settlement balance on its credit side: > 0 it owes the others."""
    db.rollback()
    total = db.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.kind == "network_settlement", LedgerAccount.network_id == network.id)
    )
    return -int(total)


def _home_patron(db, funds=5000):
    network = make_network(db)
    patron = make_patron(db, network, make_library(db, network))
    fund_wallet(db, patron, funds)
    db.commit()
    return network, patron


def _app_shows_one_wallet(client, patron, balance, *, other_network):
    wallet = client.get("/v1/wallet", headers=bearer(patron)).get_json()
    assert wallet["balance"]["amount"] == balance
    history = client.get("/v1/wallet/transactions", headers=bearer(patron)).get_json()["data"]
    assert "settlement" not in str(history).lower() and other_network.public_id not in str(history)
    assert "settlement" not in str(wallet).lower()


def _key():
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_a_ticket_of_bs_event_bought_by_as_patron(client, db, app_ctx):
    b = make_event_world(db, price=1200, patrons=0)
    a_network, patron = _home_patron(db)
    bought = client.post(
        f"/v1/events/occurrences/{b.occurrence.public_id}/orders",
        json=buy_body(b.full),
        headers={**bearer(patron), **_key()},
    )
    assert bought.status_code == 201, bought.get_json()
    assert (_settlement(db, a_network), _settlement(db, b.network)) == (1200, -1200)
    _app_shows_one_wallet(client, patron, 5000 - 1200, other_network=b.network)
    assert run_audit(db).clean


def test_a_donation_of_as_patron_to_bs_campaign(client, db, app_ctx):
    b = make_campaign_world(db, patrons=0)
    campaign = make_campaign(db, b)
    a_network, patron = _home_patron(db)
    given = donate(client, patron, campaign, 900)
    assert given.status_code == 201, given.get_json()
    assert (_settlement(db, a_network), _settlement(db, b.network)) == (900, -900)
    _app_shows_one_wallet(client, patron, 5000 - 900, other_network=b.network)
    assert run_audit(db).clean


def test_a_wallet_payment_of_as_patron_at_bs_partners_till(client, db, app_ctx):
    b = make_partner_world(db, wallet_payments=True, patrons=0)
    a_network, patron = _home_patron(db)
    b.agreement.eligible_networks.append(a_network)
    db.commit()
    phone = Phone()
    phone.sync(client, patron)
    asked = client.post(
        "/v1/partners/till-payments",
        headers={**bearer(b.till), **_key()},
        json={
            "code": phone.code(),
            "venue_id": b.cinema.public_id,
            "amount": {"amount": 1500, "currency": "EUR"},
            "description": "Popcorn",
        },
    )
    assert asked.status_code == 201, asked.get_json()
    [pending] = client.get("/v1/confirmations", headers=bearer(patron)).get_json()
    confirmed = client.post(f"/v1/confirmations/{pending['id']}/confirm", headers={**bearer(patron), **_key()})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert (_settlement(db, a_network), _settlement(db, b.network)) == (1500, -1500)
    _app_shows_one_wallet(client, patron, 5000 - 1500, other_network=b.network)
    assert run_audit(db).clean
