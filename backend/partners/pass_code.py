"""The pass code a till scans, and its verification with nothing but public keys.

A pass is an EdDSA JWT signed by the server (``kid`` names the key, see
``passkeys``) that certifies the phone's own Ed25519 key (``dk``) and says who holds
it: first name, last initial, age band and home network, nothing more. The app shows

    <pass JWT>~<minute>~<device signature of "bxp1:<pass id>:<minute>">

where ``minute`` is the current Unix minute (server-corrected clock). The till checks
the server's signature, the pass's expiry, the revocation list, then the device's
signature and that the minute is the current or the previous one: a screenshot or a
forwarded image stops working within 2 minutes, while the phone can show a valid
code offline for as long as its pass lasts (48 h after the last sync).

``verify_pass`` needs no database and no network: an offline till runs the same
check with its cached JWKS and revocation list; the server runs it online.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from backend.partners.passkeys import b64url, b64url_decode

ISSUER = "borsellino/partner-pass"
AUDIENCE = "till"
SEPARATOR = "~"
MAX_CODE_LENGTH = 2000


class PassRefused(Exception):
    """Why a code is no good: ``malformed``, ``tampered``, ``expired``, ``revoked`` or ``stale``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedPass:
    pass_id: str
    network_id: str
    first_name: str
    initial: str
    age_band: str | None
    expires_at: datetime
    minute: int


def device_message(pass_id: str, minute: int) -> bytes:
    return f"bxp1:{pass_id}:{minute}".encode()


def show_code(pass_jwt: str, pass_id: str, device_key: Ed25519PrivateKey, at: datetime) -> str:
    """What the app displays at ``at`` (the app does this; tests and the bench use it too)."""
    minute = int(at.timestamp() // 60)
    signature = device_key.sign(device_message(pass_id, minute))
    return SEPARATOR.join((pass_jwt, str(minute), b64url(signature)))


class Verifier:
    """Checks codes against a JWKS; build once per key set (the keys are parsed once)."""

    def __init__(self, jwks: dict) -> None:
        self._keys = {}
        for jwk in jwks.get("keys", ()):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
                self._keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="EdDSA").key

    def verify(self, code: str, *, at: datetime, revoked_passes=frozenset()) -> VerifiedPass:
        if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH or code.count(SEPARATOR) != 2:
            raise PassRefused("malformed")
        token, minute_text, signature_text = code.split(SEPARATOR)
        try:
            key = self._keys.get(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise PassRefused("tampered")
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"verify_exp": False, "require": ["jti", "exp", "dk", "net"]},
            )
        except jwt.InvalidTokenError:
            raise PassRefused("tampered") from None
        pass_id = claims["jti"]
        if not isinstance(pass_id, str) or not isinstance(claims["dk"], str):
            raise PassRefused("tampered")
        try:
            # PyJWT checks exp's type only when it verifies it; expiry is judged here at `at`.
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (ValueError, TypeError, OverflowError, OSError):
            raise PassRefused("tampered") from None
        if at >= expires_at:
            raise PassRefused("expired")
        if pass_id in revoked_passes:
            raise PassRefused("revoked")
        try:
            minute = int(minute_text)
            device = Ed25519PublicKey.from_public_bytes(b64url_decode(claims["dk"]))
            device.verify(b64url_decode(signature_text), device_message(pass_id, minute))
        except (ValueError, InvalidSignature):
            raise PassRefused("tampered") from None
        now_minute = int(at.timestamp() // 60)
        if minute not in (now_minute, now_minute - 1):
            raise PassRefused("stale")
        return VerifiedPass(
            pass_id=pass_id,
            network_id=claims["net"],
            first_name=str(claims.get("fn", "")),
            initial=str(claims.get("li", "")),
            age_band=claims.get("ab"),
            expires_at=expires_at,
            minute=minute,
        )
