"""Form helpers every console page shares: amounts typed as ``12,50`` and one-time form keys.

Money forms carry a one-time ``form_key`` used as the idempotency key: a double click
or a browser resubmission does the operation once (``claim_form`` returns False for a
key already used: redirect and do nothing).
"""

from __future__ import annotations

import re
import secrets

from flask import request

from backend.errors import INVALID_AMOUNT, DomainError
from backend.money import MAX_AMOUNT, Money
from backend.web import idempotency

_AMOUNT = re.compile(r"^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*(?:€)?\s*$")


def parse_amount(raw: str, *, allow_zero: bool = False, param: str = "amount") -> Money:
    """``"12,50"`` or ``"12.50"`` euros → ``Money(1250)``; anything else is refused (400)."""
    match = _AMOUNT.match(raw or "")
    if not match:
        raise DomainError(INVALID_AMOUNT, param=param)
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents > MAX_AMOUNT or (cents == 0 and not allow_zero):
        raise DomainError(INVALID_AMOUNT, param=param)
    return Money(cents, "EUR")


def new_form_key() -> str:
    return secrets.token_urlsafe(16)


def claim_form() -> bool:
    """Claim this form's one-time key; False when it was already used (then redirect, do nothing)."""
    return idempotency.claim(request.form.get("form_key", ""), param="form_key") is None
