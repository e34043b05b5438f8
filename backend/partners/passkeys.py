"""Ed25519 keys that sign partner passes, and their JWKS.

``BORSELLINO_PASS_KEYS`` lists ``kid:seed`` pairs: the first key signs new passes,
every listed key is published (``GET /v1/partners/keys``) and verifies, so a key is
rotated by putting a new pair first and dropping the old one once its last passes
(48 h) have expired. Each private key is derived from its seed with HKDF, so every
worker signs alike without distributing key files. Empty: one key derived from
``BORSELLINO_SECRET_KEY`` (as ticket QR codes are). No Flask here: the caller passes
the settings.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.config import Settings


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PassKey:
    kid: str
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    x: str

    def jwk(self) -> dict:
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "use": "sig", "alg": "EdDSA"}


def _derive(seed: str, kid: str | None) -> PassKey:
    raw_seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"borsellino", info=b"partner-pass-ed25519-v1").derive(
        seed.encode()
    )
    private = Ed25519PrivateKey.from_private_bytes(raw_seed)
    public = private.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PassKey(kid or "pp-" + hashlib.sha256(raw).hexdigest()[:16], private, public, b64url(raw))


@lru_cache(maxsize=8)
def _keyring(spec: str, secret_key: str) -> tuple[PassKey, ...]:
    if not spec.strip():
        return (_derive(secret_key, None),)
    keys = []
    for pair in spec.split(","):
        kid, _, seed = pair.strip().partition(":")
        if not kid or not seed:
            raise ValueError("BORSELLINO_PASS_KEYS: expected kid:seed pairs separated by commas")
        keys.append(_derive(seed, kid))
    return tuple(keys)


def keyring(settings: Settings) -> tuple[PassKey, ...]:
    """Every pass key; the first signs."""
    return _keyring(settings.pass_keys, settings.secret_key)


def jwks(settings: Settings) -> dict:
    return {"keys": [key.jwk() for key in keyring(settings)]}
