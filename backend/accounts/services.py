"""Sign-in flows and the patron's own account (``/v1/auth``, ``/v1/me``).

Each function takes the request's session and commits nothing.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from backend.accounts import messages, onetime, sessions
from backend.accounts.errors import ACCOUNT_GONE, EMAIL_TAKEN, WRONG_CURRENT_SECRET
from backend.accounts.models import Patron, SignInThrottle, StaffUser
from backend.accounts.rules import check_password, check_pin
from backend.accounts.signin import (
    card_key,
    check_card_and_pin,
    check_patron_password,
    check_staff_password,
    email_key,
    normalize_card,
)
from backend.auth.passwords import hash_secret, verify_secret
from backend.auth.principal import Principal
from backend.config import Settings
from backend.db import utcnow
from backend.errors import DomainError, ErrorCode
from backend.i18n import Text

# --- sign-in ---------------------------------------------------------------


def activate_with_card(
    session: Session, settings: Settings, card_number: str, pin: str, device_name: str = "", *, user_agent: str = ""
) -> sessions.TokenPair:
    """Card + PIN: the first sign-in activates the app account; later ones just sign in."""
    patron = check_card_and_pin(session, card_number, pin)
    if patron.status == "pending":
        patron.status = "active"
    return sessions.start_session(session, settings, patron, device_name=device_name, user_agent=user_agent)


def patron_password_sign_in(
    session: Session, settings: Settings, email: str, password: str, device_name: str = "", *, user_agent: str = ""
) -> sessions.TokenPair:
    patron = check_patron_password(session, email, password)
    return sessions.start_session(session, settings, patron, device_name=device_name, user_agent=user_agent)


def staff_sign_in(
    session: Session,
    settings: Settings,
    email: str,
    password: str,
    device_name: str = "",
    channel: str = "app",
    *,
    user_agent: str = "",
) -> sessions.TokenPair:
    user = check_staff_password(session, email, password)
    return sessions.start_session(
        session, settings, user, device_name=device_name, channel=channel, user_agent=user_agent
    )


# --- who is calling ----------------------------------------------------------


# Built once: every authenticated request that needs its caller runs one of these.
_PERSON = {model: select(model).where(model.public_id == bindparam("subject")) for model in (Patron, StaffUser)}
# The buyer's row, locked FOR NO KEY UPDATE as it is read (``person_of(..., lock=True)``).
_LOCKED_PATRON = _PERSON[Patron].with_for_update(key_share=True)


def person_of(
    session: Session, principal: Principal, *, gone: ErrorCode = ACCOUNT_GONE, lock: bool = False
) -> Patron | StaffUser:
    """The caller's record; a deleted patron or deactivated user is signed out (401).

    ``gone``: the refusal when the record is missing or closed, for the few views
    whose contract answers something else (the inbox's 404). ``lock`` (patrons
    only): the row is read ``FOR NO KEY UPDATE``, which serializes that patron's
    own purchases (a per-patron limit) without a second statement.
    """
    model = Patron if principal.is_patron else StaffUser
    statement = _LOCKED_PATRON if lock and model is Patron else _PERSON[model]
    return signed_in(session.scalar(statement, {"subject": principal.subject}), gone)


P = TypeVar("P", Patron, StaffUser)


def signed_in(person: P | None, gone: ErrorCode = ACCOUNT_GONE) -> P:
    """``person`` if it may still act: a missing or deleted patron, a deactivated user is ``gone`` (401).

    The rule of ``person_of``, for the hot reads that fetch the caller together with other rows.
    """
    if (
        person is None
        or (isinstance(person, Patron) and person.status == "deleted")
        or (isinstance(person, StaffUser) and not person.active)
    ):
        raise DomainError(gone)
    return person


def update_profile(session: Session, patron: Patron, changes: dict) -> Patron:
    for name in ("language", "email", "phone"):
        if name in changes:
            setattr(patron, name, changes[name])
    return patron


# --- email + password for patrons ---------------------------------------------

VERIFY_SUBJECT = Text(it="Conferma il tuo indirizzo email", en="Confirm your email address")
VERIFY_BODY = Text(
    it="Ciao {name},\nper confermare questo indirizzo per l'accesso all'app delle biblioteche usa il "
    "codice {token} oppure apri {link}\nIl codice scade tra 48 ore. Se non sei stato tu, ignora "
    "questo messaggio.",
    en="Hello {name},\nto confirm this address for signing in to the library app use the code "
    "{token} or open {link}\nThe code expires in 48 hours. If this was not you, ignore this message.",
)


def _normalize_email(email: str) -> str:
    return email.strip().lower()


def set_email_and_password(
    session: Session, settings: Settings, patron: Patron, *, pin: str, email: str, password: str
) -> str:
    """Set a password and start verifying the email; sign-in by email works once verified."""
    if not verify_secret(patron.pin_hash, pin):
        raise DomainError(WRONG_CURRENT_SECRET, param="pin")
    email = _normalize_email(email)
    taken = session.scalar(select(Patron.id).where(Patron.login_email == email, Patron.id != patron.id))
    if taken is not None:
        raise DomainError(EMAIL_TAKEN, param="email")
    patron.password_hash = hash_secret(password)
    patron.pending_email = email
    token = onetime.issue(session, patron, "verify_email", email=email)
    messages.send_email(
        session,
        patron,
        to_email=email,
        purpose="verify_email",
        subject=VERIFY_SUBJECT,
        body=VERIFY_BODY,
        name=patron.first_name,
        token=token,
        link=onetime.link(settings, "/v1/auth/email/verify", token),
    )
    return email


def verify_email(session: Session, token: str) -> Patron:
    row = onetime.consume(session, token, ("verify_email",))
    patron = session.get(Patron, row.patron_id)
    taken = session.scalar(select(Patron.id).where(Patron.login_email == row.email, Patron.id != patron.id))
    if taken is not None:
        raise DomainError(EMAIL_TAKEN, param="token")
    patron.login_email = patron.email = row.email
    patron.pending_email = None
    patron.email_verified_at = utcnow()
    return patron


# --- PIN / password reset -----------------------------------------------------

RESET_SUBJECT = Text(it="Reimpostazione {what}", en="Reset your {what}")
RESET_BODY = Text(
    it="Ciao {name},\nabbiamo ricevuto una richiesta di reimpostare {what}. Usa il codice {token} "
    "entro 30 minuti oppure apri {link}\nSe non sei stato tu, ignora questo messaggio: nulla cambierà.",
    en="Hello {name},\nwe received a request to reset your {what}. Use the code {token} within 30 "
    "minutes or open {link}\nIf this was not you, ignore this message: nothing will change.",
)
_WHAT = {"pin": Text(it="il PIN", en="PIN"), "password": Text(it="la password", en="password")}


def request_patron_reset(
    session: Session, settings: Settings, *, what: str, card_number: str | None = None, email: str | None = None
) -> None:
    """Email a reset code if the account exists; the caller always gets the same answer."""
    if card_number:
        patron = session.scalar(select(Patron).where(Patron.card_number == normalize_card(card_number)))
    else:
        patron = session.scalar(select(Patron).where(Patron.login_email == _normalize_email(email or "")))
    to_email = patron and (patron.login_email if what == "password" else (patron.login_email or patron.email))
    if patron is None or patron.status == "deleted" or not to_email:
        return
    token = onetime.issue(session, patron, f"reset_{what}")
    _send_reset(session, settings, patron, to_email, what, token)


def request_staff_reset(session: Session, settings: Settings, email: str) -> None:
    user = session.scalar(select(StaffUser).where(StaffUser.email == _normalize_email(email)))
    if user is None or not user.active:
        return
    token = onetime.issue(session, user, "reset_password")
    _send_reset(session, settings, user, user.email, "password", token)


def _send_reset(
    session: Session, settings: Settings, person: Patron | StaffUser, to_email: str, what: str, token: str
) -> None:
    messages.send_email(
        session,
        person,
        to_email=to_email,
        purpose=f"reset_{what}",
        subject=RESET_SUBJECT,
        body=RESET_BODY,
        name=getattr(person, "first_name", None) or person.name,
        token=token,
        what=_WHAT[what].render(person.language),
        link=onetime.link(settings, "/v1/auth/reset/confirm", token),
    )


def confirm_reset(session: Session, token: str, new_secret: str) -> Patron | StaffUser:
    """Set the new PIN or password, sign out every device, lift any lockout."""
    row = onetime.consume(session, token, ("reset_pin", "reset_password"))
    person = session.get(Patron, row.patron_id) if row.patron_id else session.get(StaffUser, row.staff_user_id)
    if row.purpose == "reset_pin":
        check_pin(new_secret, "new_secret")
        person.pin_hash = hash_secret(new_secret)
        keys = [card_key(person.card_number)]
    else:
        check_password(new_secret, "new_secret")
        person.password_hash = hash_secret(new_secret)
        keys = [
            email_key("patron", person.login_email or "")
            if isinstance(person, Patron)
            else email_key("staff", person.email)
        ]
    for key in keys:
        throttle = session.scalar(select(SignInThrottle).where(SignInThrottle.key == key))
        if throttle is not None:
            session.delete(throttle)
    sessions.revoke_all(session, person, "password_reset")
    return person
