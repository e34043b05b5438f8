"""Demo data of accounts: the foundation seeds the people; this makes them usable.

Giulia has already activated the app and set an email + password; Marco and
Amina activated with card + PIN; Luca is still pending (first sign-in activates).
"""

from __future__ import annotations

from backend.auth.passwords import hash_secret
from backend.db import utcnow

PATRON_PASSWORD = "demo-password"


def seed_sign_in(session, ctx) -> None:
    giulia, marco, amina, _luca = ctx.patrons[:4]
    for patron in (giulia, marco, amina):
        patron.status = "active"
    giulia.login_email = giulia.email
    giulia.email_verified_at = utcnow()
    giulia.password_hash = hash_secret(PATRON_PASSWORD)
    ctx.logins.append(f"patron     {giulia.email} / {PATRON_PASSWORD}  (email + password sign-in)")
