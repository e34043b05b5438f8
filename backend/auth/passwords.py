"""Password and PIN hashing with Argon2id (argon2-cffi), constant-time verification.

The hashing cost is a property of the process, chosen once by the app factory
(``use_fast_hashing``): full strength always, except in the test suite
(``BORSELLINO_PASSWORD_HASH_FAST``, which production refuses). Verification
reads the parameters from the stored hash, so either cost verifies both.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_strong = PasswordHasher()  # library defaults (RFC 9106 low-memory profile)
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_hasher = _strong
# Verified against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _strong.hash("not-a-real-secret")


def use_fast_hashing(fast: bool) -> None:
    """Called by the app factory with ``settings.password_hash_fast``."""
    global _hasher
    _hasher = _fast if fast else _strong


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """True if ``secret`` matches; does the same work when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
