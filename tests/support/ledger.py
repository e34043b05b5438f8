"""Put money in a wallet the way a top-up will (until top-ups exist in a test's scope)."""

from __future__ import annotations

from backend.ledger.services import Funding, credit, debit, house_account, post_entry, wallet_of
from backend.money import Money


def fund_wallet(session, patron, amount: int, *, source: str = "card", provider_ref: str | None = None):
    """Credit ``amount`` cents to the patron's wallet from card clearing (or a cash drawer)."""
    wallet = wallet_of(session, patron)
    kind = {"card": "card_clearing", "cash": "cash_drawer", "adjustment": "adjustments"}[source]
    house = house_account(session, kind, f"test-{source}")
    return post_entry(
        session,
        kind=f"topup_{source}",
        legs=[debit(house, Money(amount)), credit(wallet, Money(amount))],
        funding=Funding(source, provider_ref),
        memo="test funding",
    )
