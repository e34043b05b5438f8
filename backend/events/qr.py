"""Ticket QR codes: an EdDSA (Ed25519) JWT that door scanners can verify offline.

The payload names the ticket, its occurrence and the ticket's ``version``;
bumping the version (reissue, cancellation) makes every earlier QR of the
ticket worthless even though its signature is still valid. Scanners fetch the
public keys once from ``GET /v1/events/keys`` (JWKS) and verify without a
network; the server re-checks version and status when the scan is uploaded.

The private key is derived from ``BORSELLINO_SECRET_KEY`` with HKDF, so every
worker signs with the same key without a new secret to distribute; rotating
the secret rotates the key (the ``kid`` changes with it).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.config import Settings
from backend.errors import DomainError
from backend.events.errors import INVALID_QR
from backend.events.models import Ticket

ISSUER = "borsellino/tickets"
AUDIENCE = "door"


class _Keys:
    def __init__(self, secret: str) -> None:
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"borsellino", info=b"ticket-qr-ed25519-v1").derive(
            secret.encode()
        )
        self.private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public: Ed25519PublicKey = self.private.public_key()
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        self.kid = "tq-" + hashlib.sha256(raw).hexdigest()[:16]


@lru_cache(maxsize=4)
def _keys_for(secret: str) -> _Keys:
    return _Keys(secret)


def _keys(settings: Settings) -> _Keys:
    return _keys_for(settings.secret_key)


def jwks(settings: Settings) -> dict:
    keys = _keys(settings)
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": keys.x, "kid": keys.kid, "use": "sig", "alg": "EdDSA"}]}


def sign(ticket: Ticket, settings: Settings) -> str:
    keys = _keys(settings)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "tkt": ticket.public_id,
        "v": ticket.version,
        "occ": ticket.occurrence.public_id,
    }
    return jwt.encode(claims, keys.private, algorithm="EdDSA", headers={"kid": keys.kid})


def verify(code: str, settings: Settings) -> dict:
    """The claims of a genuine ticket code (422 ``invalid_ticket_code`` otherwise)."""
    keys = _keys(settings)
    try:
        header = jwt.get_unverified_header(code)
        if header.get("kid") != keys.kid:
            raise jwt.InvalidTokenError("unknown key")
        claims = jwt.decode(
            code,
            keys.public,
            algorithms=["EdDSA"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["tkt", "v", "occ"]},
        )
    except jwt.InvalidTokenError:
        raise DomainError(INVALID_QR, param="code", reason="signature") from None
    if not isinstance(claims.get("tkt"), str) or not isinstance(claims.get("v"), int):
        raise DomainError(INVALID_QR, param="code", reason="payload")
    return claims
