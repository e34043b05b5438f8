"""Password and PIN hashing with Argon2id (argon2-cffi), constant-time verification."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

_strong = PasswordHasher()  # library defaults (RFC 9106 low-memory profile)
# Test suite only (BORSELLINO_PASSWORD_HASH_FAST); production refuses it.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# Verified against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _strong.hash("not-a-real-secret")


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config["SETTINGS"].password_hash_fast:
        return _fast
    return _strong


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """True if ``secret`` matches; does the same work when there is no hash."""
    try:
        return _hasher().verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
