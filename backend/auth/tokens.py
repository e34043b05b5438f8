"""Access tokens: short-lived JWTs signed with HS256 and a key id.

Algorithms are pinned (``none`` and algorithm confusion are refused), and
issuer, audience and expiry are required. Keys come from
``BORSELLINO_JWT_KEYS`` (``kid:secret,...``): the first signs, all verify,
so keys rotate without logging everyone out.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import jwt

from backend.config import Settings
from backend.db import utcnow

ISSUER = "borsellino"
AUDIENCE = "borsellino-api"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def signing_keys(settings: Settings) -> dict[str, str]:
    if settings.jwt_keys:
        keys = {}
        for pair in settings.jwt_keys.split(","):
            kid, _, secret = pair.strip().partition(":")
            if kid and secret:
                keys[kid] = secret
        return keys
    # Development default: one key derived from the secret key.
    return {"dev": hashlib.sha256(("jwt:" + settings.secret_key).encode()).hexdigest()}


def issue_access_token(claims: dict, settings: Settings, *, minutes: int | None = None) -> str:
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


def decode_access_token(token: str, settings: Settings) -> dict:
    keys = signing_keys(settings)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("algorithm not allowed")
    secret = keys.get(header.get("kid"))
    if secret is None:
        raise InvalidToken("unknown key id")
    try:
        return jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
