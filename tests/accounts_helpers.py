"""Small helpers shared by the accounts tests."""

from __future__ import annotations

from sqlalchemy import func, select


def card_sign_in(client, card: str, pin: str, device: str = "phone"):
    return client.post("/v1/auth/patron/card", json={"card_number": card, "pin": pin, "device_name": device})


def auth(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}"}


def count(db, model, *where) -> int:
    """Rows the API committed, read on a short connection of its own (holding no lock after)."""
    with db.get_bind().connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
