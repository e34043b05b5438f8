"""Membership code for identification at the desk (shown as a QR in the app).

``<card number>.<6 digits>``: the digits are an HMAC of the patron and the
current minute under the server secret, TOTP-style, so the code rotates and
a screenshot stops working after ``VALID_STEPS`` minutes. Short enough for
a librarian to type when the scanner fails. Nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.errors import INVALID_MEMBERSHIP_TOKEN
from backend.accounts.models import Patron
from backend.accounts.signin import normalize_card
from backend.config import Settings
from backend.errors import DomainError

STEP_SECONDS = 60
VALID_STEPS = 5  # the current minute and the four before it


def _code(settings: Settings, patron: Patron, step: int) -> str:
    key = ("membership:" + settings.secret_key).encode()
    digest = hmac.new(key, f"{patron.public_id}:{step}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def issue(patron: Patron, settings: Settings, now: float | None = None) -> tuple[str, datetime]:
    """The current code and when it stops being accepted."""
    step = int((now if now is not None else time.time()) // STEP_SECONDS)
    expires = datetime.fromtimestamp((step + VALID_STEPS) * STEP_SECONDS, UTC)
    return f"{patron.card_number}.{_code(settings, patron, step)}", expires


def qr_svg_data_uri(token: str) -> str:
    return segno.make(token, error="m").svg_data_uri(scale=4)


def identify(session: Session, settings: Settings, token: str, now: float | None = None) -> Patron:
    card, _, code = token.strip().rpartition(".")
    patron = session.scalar(select(Patron).where(Patron.card_number == normalize_card(card))) if card else None
    if patron is None or patron.status == "deleted" or len(code) != 6:
        raise DomainError(INVALID_MEMBERSHIP_TOKEN, param="token")
    step = int((now if now is not None else time.time()) // STEP_SECONDS)
    # Check every window (no early exit), comparing in constant time.
    matched = False
    for back in range(VALID_STEPS):
        matched |= hmac.compare_digest(_code(settings, patron, step - back), code)
    if not matched:
        raise DomainError(INVALID_MEMBERSHIP_TOKEN, param="token")
    return patron
