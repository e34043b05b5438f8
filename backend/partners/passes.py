"""Issuing, renewing and revoking patrons' passes; reading a scanned or typed code.

The app registers its device key with ``issue_pass`` whenever it is online: the same
device gets the same pass with a new 48-hour expiry (so it stays valid offline for at
least 24 h after any sync); a new device revokes the patron's other passes, so an
account lent to someone else's phone stops the first phone's pass.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import jwt
import pyotp
from sqlalchemy import bindparam, exists, inspect, select, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from backend.accounts.models import Patron
from backend.config import Settings
from backend.db import utcnow
from backend.errors import DomainError
from backend.i18n import ROME
from backend.partners import errors as e
from backend.partners.eligibility import age_band
from backend.partners.models import (
    PASS_TRANSITIONS,
    Agreement,
    AgreementState,
    Offer,
    OfferState,
    Pass,
    PassState,
    agreement_networks,
)
from backend.partners.pass_code import AUDIENCE, ISSUER, PassRefused, VerifiedPass, Verifier
from backend.partners.passkeys import b64url_decode, jwks, keyring

PASS_LIFETIME = timedelta(hours=48)
_SHORT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed by hand
_REFUSALS = {
    "malformed": e.PASS_INVALID,
    "tampered": e.PASS_INVALID,
    "expired": e.PASS_EXPIRED,
    "revoked": e.PASS_REVOKED,
    "stale": e.PASS_STALE,
}


@dataclass(frozen=True)
class IssuedPass:
    pass_: Pass
    token: str
    holder: dict
    server_time: datetime


def holder_of(patron: Patron, on) -> dict:
    """All a till ever learns about the holder."""
    last = (patron.last_name or "").strip()
    return {
        "first_name": patron.first_name,
        "initial": (last[:1].upper() + ".") if last else "",
        "age_band": age_band(patron.birth_date, on),
    }


def _valid_device_key(device_key: str) -> str:
    try:
        raw = b64url_decode(device_key)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32 or len(device_key) > 64:
        raise DomainError(e.DEVICE_KEY_INVALID, param="device_key")
    return device_key


def _short_code() -> str:
    return "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(8))


def issue_pass(
    session: Session, settings: Settings, patron: Patron, device_key: str, now: datetime | None = None
) -> IssuedPass:
    now = now or utcnow()
    device_key = _valid_device_key(device_key)
    current = session.scalar(
        select(Pass).where(Pass.patron_id == patron.id, Pass.device_key == device_key, Pass.state == PassState.ACTIVE)
    )
    session.execute(
        update(Pass)
        .where(
            Pass.patron_id == patron.id,
            Pass.device_key != device_key,
            Pass.state.in_(PASS_TRANSITIONS.sources_of(PassState.REVOKED)),
        )
        .values(state=PassState.REVOKED, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if current is None:
        current = Pass(
            patron_id=patron.id,
            device_key=device_key,
            short_code=_short_code(),
            otp_secret=pyotp.random_base32(),
            expires_at=now + PASS_LIFETIME,
            created_at=now,
        )
        session.add(current)
    else:
        current.expires_at = now + PASS_LIFETIME
    session.flush()
    holder = holder_of(patron, now.astimezone(ROME).date())
    key = keyring(settings)[0]
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": current.public_id,
        "dk": device_key,
        "net": patron.home_network.public_id,
        "fn": holder["first_name"],
        "li": holder["initial"],
        "ab": holder["age_band"],
        "iat": int(now.timestamp()),
        "exp": int(current.expires_at.timestamp()),
    }
    token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})
    return IssuedPass(current, token, holder, now)


def revoke_own_passes(session: Session, patron: Patron, now: datetime | None = None) -> int:
    """Lost phone: every pass of the patron stops at once online, at the next sync offline."""
    now = now or utcnow()
    return session.execute(
        update(Pass)
        .where(Pass.patron_id == patron.id, Pass.state.in_(PASS_TRANSITIONS.sources_of(PassState.REVOKED)))
        .values(state=PassState.REVOKED, revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def revocation_list(session: Session, partner_id: int, now: datetime | None = None) -> dict:
    """What an offline till must refuse: revoked passes still within their lifetime, and this
    partner's revoked offers and agreements."""
    now = now or utcnow()
    passes = session.scalars(
        select(Pass.public_id).where(Pass.state == PassState.REVOKED, Pass.expires_at > now).order_by(Pass.id)
    )
    agreements = list(
        session.execute(
            select(Agreement.id, Agreement.public_id).where(
                Agreement.partner_id == partner_id, Agreement.state == AgreementState.REVOKED
            )
        )
    )
    offers = session.scalars(
        select(Offer.public_id)
        .join(Agreement)
        .where(
            Agreement.partner_id == partner_id,
            (Offer.state == OfferState.REVOKED) | (Agreement.state == AgreementState.REVOKED),
        )
        .order_by(Offer.id)
    )
    return {
        "generated_at": now,
        "passes": list(passes),
        "offers": list(offers),
        "agreements": [public_id for _, public_id in agreements],
    }


@lru_cache(maxsize=8)
def _verifier(pass_keys: str, secret_key: str) -> Verifier:
    return Verifier(jwks(Settings(pass_keys=pass_keys, secret_key=secret_key)))


def _typed(session: Session, code: str, at: datetime) -> tuple[Pass, None]:
    short, _, otp = code.strip().upper().partition("-")
    found = session.scalar(select(Pass).where(Pass.short_code == short)) if len(short) == 8 else None
    if found is None or not otp.isdigit():
        raise DomainError(e.PASS_INVALID, param="code", reason="typed")
    totp = pyotp.TOTP(found.otp_secret, interval=60)
    if not any(hmac.compare_digest(totp.at(at - timedelta(seconds=lag)), otp) for lag in (0, 60)):
        raise DomainError(e.PASS_STALE, param="code")
    if at >= found.expires_at:
        raise DomainError(e.PASS_EXPIRED, param="code")
    return found, None


# Built once: every online validation of a scanned code runs it.
_PASS_WITH_PATRON = select(Pass).where(Pass.public_id == bindparam("public_id")).options(joinedload(Pass.patron))


def read_code(session: Session, settings: Settings, code: str, at: datetime) -> tuple[Pass, VerifiedPass | None]:
    """The pass behind a scanned code (both signatures and the minute checked at ``at``) or a
    typed one; 422 with the precise reason otherwise. Revocation is judged by the caller."""
    if not isinstance(code, str) or not code.strip():
        raise DomainError(e.PASS_INVALID, param="code", reason="empty")
    if "~" not in code:
        return _typed(session, code, at)
    try:
        verified = _verifier(settings.pass_keys, settings.secret_key).verify(code.strip(), at=at)
    except PassRefused as refused:
        raise DomainError(_REFUSALS[refused.reason], param="code", reason=refused.reason) from None
    found = session.scalar(_PASS_WITH_PATRON, {"public_id": verified.pass_id})
    if found is None:
        raise DomainError(e.PASS_INVALID, param="code", reason="unknown")
    return found, verified


def otp_now(pass_: Pass, at: datetime) -> str:
    """The typed code the app shows at ``at`` (the app computes it; tests use this)."""
    return f"{pass_.short_code}-{pyotp.TOTP(pass_.otp_secret, interval=60).at(at)}"


# --- the online validation's reads: Core rows made persistent objects ---------------------------


@cache
def _shape(model: type) -> tuple[int, list[str], Any, int]:
    """Built once per model: how many columns its table has, their attribute names, the
    factory, where its (one-column) primary key is."""
    mapper = inspect(model)
    columns = list(mapper.local_table.columns)
    keys = [mapper.get_property_by_column(column).key for column in columns]
    [primary_key] = mapper.primary_key
    return len(keys), keys, mapper.class_manager.new_instance, columns.index(primary_key)


def loaded(session: Session, model: type, values) -> Any:
    """The ``model`` object whose columns (in table order) are ``values``, persistent in ``session``.

    As ``backend.db.insert_returning`` builds what it inserted, and as the ORM's loader
    builds a loaded object (no constructor, no attribute events), for rows a hot path
    reads with a prebuilt Core statement: several tables' rows come in one round trip
    without the ORM's execution path. An object the session already holds is kept
    (the ORM's default: its values are not overwritten).
    """
    _, keys, new_instance, primary_key = _shape(model)
    found = session.identity_map.get(session.identity_key(model, values[primary_key]))
    if found is not None:
        return found
    obj = new_instance()
    obj.__dict__.update(zip(keys, values))
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


_PASSES, _PATRONS = Pass.__table__, Patron.__table__
# Built once: every online validation runs it. The pass, its patron locked (``FOR NO KEY
# UPDATE``, as ticket purchases lock the buyer: the uses counted after it are all the
# patron's, and inserts that merely reference the patron are not blocked) and whether the
# offer's agreement covers the patron's network, in one round trip.
_PASS_LOCKING_PATRON = (
    select(
        *_PASSES.c,
        *_PATRONS.c,
        exists()
        .where(
            agreement_networks.c.agreement_id == bindparam("agreement_id"),
            agreement_networks.c.network_id == _PATRONS.c.home_network_id,
        )
        .label("covered"),
    )
    .join_from(_PASSES, _PATRONS, _PATRONS.c.id == _PASSES.c.patron_id)
    .where(_PASSES.c.public_id == bindparam("public_id"))
    .with_for_update(of=_PATRONS, key_share=True)
)


def read_code_locking_patron(
    session: Session, settings: Settings, code: str, at: datetime, agreement_id: int
) -> tuple[Pass, bool]:
    """As ``read_code``, and the patron locked until the transaction ends; with whether the
    agreement ``agreement_id`` covers the patron's network."""
    if not isinstance(code, str) or not code.strip():
        raise DomainError(e.PASS_INVALID, param="code", reason="empty")
    if "~" in code:
        try:
            public_id = _verifier(settings.pass_keys, settings.secret_key).verify(code.strip(), at=at).pass_id
        except PassRefused as refused:
            raise DomainError(_REFUSALS[refused.reason], param="code", reason=refused.reason) from None
    else:
        public_id = _typed(session, code, at)[0].public_id
    row = (
        session.connection()
        .execute(_PASS_LOCKING_PATRON, {"public_id": public_id, "agreement_id": agreement_id})
        .first()
    )
    if row is None:
        raise DomainError(e.PASS_INVALID, param="code", reason="unknown")
    width = _shape(Pass)[0]
    pass_ = loaded(session, Pass, row[:width])
    patron = loaded(session, Patron, row[width:-1])
    set_committed_value(pass_, "patron", patron)
    return pass_, bool(row[-1])
