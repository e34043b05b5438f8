"""Networks with libraries, patrons and finance staff, and money booked in a chosen month."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backend.accounts.models import Library, Network, Patron, StaffUser
from backend.db import utcnow
from backend.ledger.models import JournalEntry
from backend.ledger.periods import month_bounds, month_of
from backend.ledger.services import Funding, credit, debit, house_account, post_entry, wallet_of
from backend.money import Money
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff


@dataclass
class Net:
    network: Network
    library: Library
    patron: Patron
    finance: StaffUser
    admin: StaffUser
    librarian: StaffUser
    extra: dict = field(default_factory=dict)


def make_net(session) -> Net:
    network = make_network(session)
    library = make_library(session, network)
    net = Net(
        network=network,
        library=library,
        patron=make_patron(session, network, library),
        finance=make_staff(session, "finance", network),
        admin=make_staff(session, "admin", network),
        librarian=make_staff(session, "librarian", network, libraries=[library]),
    )
    session.flush()
    return net


def auth(person) -> dict:
    return bearer(person)


def idem(person) -> dict:
    return {**bearer(person), "Idempotency-Key": str(uuid.uuid4())}


def last_month(now: datetime | None = None) -> str:
    start, _ = month_bounds(month_of(now or utcnow()))
    return month_of(start - timedelta(days=1))


def inside(month: str, days: int = 10) -> datetime:
    """A moment ``days`` days into ``month`` (Europe/Rome)."""
    start, _ = month_bounds(month)
    return start + timedelta(days=days, hours=12)


def top_up(session, patron: Patron, cents: int, *, dated: datetime | None = None) -> JournalEntry:
    clearing = house_account(session, "card_clearing", "test")
    wallet = wallet_of(session, patron)
    return post_entry(
        session,
        kind="topup_card",
        legs=[debit(clearing, Money(cents)), credit(wallet, Money(cents))],
        funding=Funding("card"),
        dated=dated,
    )


def pay_fee(session, patron: Patron, library: Library, cents: int, *, dated: datetime | None = None) -> JournalEntry:
    """The patron's wallet pays ``cents`` to the library's fee income (another network's library too)."""
    wallet = wallet_of(session, patron)
    income = house_account(session, "fee_income", library.public_id, library=library)
    return post_entry(
        session,
        kind="fee_payment",
        legs=[debit(wallet, Money(cents)), credit(income, Money(cents))],
        dated=dated,
    )
