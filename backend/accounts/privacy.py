"""The patron's privacy rights: a copy of their data, and deletion.

Deletion pseudonymises: personal data is overwritten, the patron row stays
(with its internal id) so wallets, journal entries and receipts kept for the
10-year retention rule still add up, and every session is revoked.

Other domains add their part of the export with ``register_exporter``, and
may refuse a deletion (raise a ``DomainError``) with ``register_deletion_check``:
money still in the wallet must go back to its owner first, never be stranded.
Once every check passed, each ``register_deletion_step`` ends what the patron
had set going in that domain and erases what it kept only for them (+Teca:
recurring donations stop, their codice fiscale is erased), in the deletion's
own transaction; accounts imports none of those domains.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.accounts import sessions
from backend.accounts.errors import WALLET_NOT_EMPTY
from backend.accounts.models import AuthSession, OneTimeToken, OutgoingMessage, Patron
from backend.db import utcnow
from backend.errors import DomainError

# name -> fn(session, patron) -> JSON-able data; one entry per domain.
EXPORTERS: dict[str, Callable[[Session, Patron], object]] = {}


# fn(session, patron) -> None, raising a DomainError when the account cannot go yet.
DELETION_CHECKS: list[Callable[[Session, Patron], None]] = []


# fn(session, patron) -> None, run by the deletion after every check passed; one entry per domain.
DELETION_STEPS: list[Callable[[Session, Patron], None]] = []


def register_exporter(name: str, exporter: Callable[[Session, Patron], object]) -> None:
    EXPORTERS[name] = exporter


def register_deletion_check(check: Callable[[Session, Patron], None]) -> None:
    if check not in DELETION_CHECKS:
        DELETION_CHECKS.append(check)


def register_deletion_step(step: Callable[[Session, Patron], None]) -> None:
    if step not in DELETION_STEPS:
        DELETION_STEPS.append(step)


def _wallet_is_empty(session: Session, patron: Patron) -> None:
    from backend.wallet.services import balance_of  # the wallet reads the ledger; accounts does not

    balance = balance_of(session, patron).balance
    if balance.amount != 0:
        raise DomainError(WALLET_NOT_EMPTY, balance=balance)


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _account(session: Session, patron: Patron) -> dict:
    return {
        "id": patron.public_id,
        "card_number": patron.card_number,
        "first_name": patron.first_name,
        "last_name": patron.last_name,
        "email": patron.email,
        "login_email": patron.login_email,
        "phone": patron.phone,
        "language": patron.language,
        "status": patron.status,
        "home_network": patron.home_network.name,
        "home_library": patron.home_library.name if patron.home_library else None,
        "created_at": _iso(patron.created_at),
        "email_verified_at": _iso(patron.email_verified_at),
    }


def _sessions(session: Session, patron: Patron) -> list[dict]:
    rows = session.scalars(select(AuthSession).where(AuthSession.patron_id == patron.id).order_by(AuthSession.id))
    return [
        {
            "id": s.public_id,
            "device_name": s.device_name,
            "user_agent": s.user_agent,
            "created_at": _iso(s.created_at),
            "last_used_at": _iso(s.last_used_at),
            "revoked_at": _iso(s.revoked_at),
        }
        for s in rows
    ]


def _messages(session: Session, patron: Patron) -> list[dict]:
    rows = session.scalars(
        select(OutgoingMessage).where(OutgoingMessage.patron_id == patron.id).order_by(OutgoingMessage.id)
    )
    return [{"to": m.to_email, "subject": m.subject, "created_at": _iso(m.created_at)} for m in rows]


register_exporter("account", _account)
register_exporter("sessions", _sessions)
register_exporter("emails", _messages)
register_deletion_check(_wallet_is_empty)


def export(session: Session, patron: Patron) -> dict:
    return {"generated_at": _iso(utcnow()), **{name: exporter(session, patron) for name, exporter in EXPORTERS.items()}}


def pseudonymise(session: Session, patron: Patron) -> None:
    """Erase personal data, keep the row (and so the financial records), sign out everywhere."""
    for check in DELETION_CHECKS:
        check(session, patron)
    for step in DELETION_STEPS:
        step(session, patron)
    patron.first_name = "—"
    patron.last_name = "—"
    patron.email = patron.phone = patron.login_email = patron.pending_email = None
    patron.pin_hash = patron.password_hash = None
    # The card number identifies a person in the library system: replace it too.
    patron.card_number = "DEL" + secrets.token_hex(12)
    patron.status = "deleted"
    patron.deleted_at = utcnow()
    session.execute(delete(OneTimeToken).where(OneTimeToken.patron_id == patron.id))
    session.execute(delete(OutgoingMessage).where(OutgoingMessage.patron_id == patron.id))
    sessions.revoke_all(session, patron, "account_deleted")
    # Devices and user agents are personal data too.
    for auth_session in session.scalars(select(AuthSession).where(AuthSession.patron_id == patron.id)):
        auth_session.device_name = ""
        auth_session.user_agent = ""
