"""Access tokens: short-lived JWTs signed with HS256 and a key id.

Algorithms are pinned (``none`` and algorithm confusion are refused), and
issuer, audience and expiry are required. Keys come from
``BORSELLINO_JWT_KEYS`` (``kid:secret,...``): the first signs, all verify,
so keys rotate without logging everyone out.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import cache
from typing import Any

import jwt

from backend.config import Settings
from backend.db import utcnow

ISSUER = "borsellino"
AUDIENCE = "borsellino-api"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def signing_keys(settings: Settings) -> dict[str, str]:
    return _parse_keys(settings.jwt_keys, settings.secret_key)


@cache
def _parse_keys(jwt_keys: str, secret_key: str) -> dict[str, str]:
    if jwt_keys:
        keys = {}
        for pair in jwt_keys.split(","):
            kid, _, secret = pair.strip().partition(":")
            if kid and secret:
                keys[kid] = secret
        return keys
    # Development default: one key derived from the secret key.
    return {"dev": hashlib.sha256(("jwt:" + secret_key).encode()).hexdigest()}


def issue_access_token(claims: dict[str, Any], settings: Settings, *, minutes: int | None = None) -> str:
    keys = signing_keys(settings)
    kid, secret = next(iter(keys.items()))
    now = utcnow()
    payload = {
        **claims,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=minutes or settings.access_token_minutes),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM, headers={"kid": kid})


def decode_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """The verified claims, or ``InvalidToken``.

    Almost every token is signed with the current key (the first), so it is tried
    first and the token is parsed once; the header's ``kid`` must then name it.
    Only a token of an older key (or a forged one) is parsed again, for its ``kid``.
    """
    keys = signing_keys(settings)
    kid, secret = next(iter(keys.items()))
    try:
        decoded = _decode(token, secret)
    except jwt.InvalidSignatureError:
        decoded = None
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if decoded is not None and decoded["header"].get("kid") == kid:
        payload: dict[str, Any] = decoded["payload"]
        return payload
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("algorithm not allowed")
    named = header.get("kid")
    older = keys.get(named) if isinstance(named, str) else None
    if older is None or named == kid:
        raise InvalidToken("unknown key id or bad signature")
    try:
        payload = _decode(token, older)["payload"]
        return payload
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc


def _decode(token: str, secret: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode_complete(
        token,
        secret,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return decoded
