"""A small library world for fee and wallet tests, and a snapshot of all money state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from backend.accounts.models import Library, Patron, StaffUser
from backend.fees.models import Fee
from backend.ledger.models import FundingLot, JournalEntry, LedgerAccount, Posting
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff


@dataclass
class World:
    library: Library  # the librarian's
    other_library: Library  # same network, not the librarian's
    librarian: StaffUser
    admin: StaffUser
    alice: Patron
    bob: Patron

    def auth(self, person, **extra) -> dict:
        return {**bearer(person), **extra}

    def idem(self, person, key: str | None = None) -> dict:
        return {**bearer(person), "Idempotency-Key": key or str(uuid.uuid4())}


def make_world(session) -> World:
    network = make_network(session)
    library = make_library(session, network)
    other = make_library(session, network)
    world = World(
        library=library,
        other_library=other,
        librarian=make_staff(session, "librarian", network, libraries=[library]),
        admin=make_staff(session, "admin", network),
        alice=make_patron(session, network, library),
        bob=make_patron(session, network, library, language="en"),
    )
    session.commit()
    return world


def money_state(session) -> tuple:
    """Everything a refused request must leave untouched (ends the test session's transaction,
    which on SQLite would otherwise hold the write lock the API needs)."""
    state = (
        session.scalar(select(func.count()).select_from(JournalEntry)),
        session.scalar(select(func.count()).select_from(Posting)),
        tuple(
            session.execute(
                select(LedgerAccount.key, LedgerAccount.balance, LedgerAccount.held).order_by(LedgerAccount.key)
            ).all()
        ),
        tuple(session.execute(select(FundingLot.id, FundingLot.remaining).order_by(FundingLot.id)).all()),
        tuple(session.execute(select(Fee.public_id, Fee.status, Fee.amount).order_by(Fee.id)).all()),
    )
    session.commit()
    return state


def wallet_balance(session, patron) -> tuple[int, int] | None:
    """(balance, held) of the patron's wallet as committed, without keeping a transaction open."""
    row = session.execute(
        select(LedgerAccount.balance, LedgerAccount.held).where(LedgerAccount.key == f"wallet:{patron.public_id}")
    ).first()
    session.commit()
    return tuple(row) if row else None


def income_of(session, library) -> int:
    from backend.ledger.services import account_balance, house_account

    amount = account_balance(session, house_account(session, "fee_income", library.public_id, library=library)).amount
    session.commit()
    return amount


def charge(client, world, patron, amount=None, type_="overdue", library=None, key=None, **extra):
    body = {"patron_id": patron.public_id, "library_id": (library or world.library).public_id, "type": type_, **extra}
    if amount is not None:
        body["amount"] = {"amount": amount, "currency": "EUR"}
    return client.post("/v1/fees", json=body, headers=world.idem(world.librarian, key))


def pay(client, world, patron, fee_ids, key=None):
    return client.post("/v1/fees/payments", json={"fee_ids": list(fee_ids)}, headers=world.idem(patron, key))
