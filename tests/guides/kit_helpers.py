"""Arrange kits for tests: a kit of the world's library, reservations through the API, time passing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update

from backend.guides.kits import today_in_rome
from backend.guides.models import KitDay, KitReservation
from tests.guides.helpers import auth, key


def create_kit(client, world, *, units=2, loan_days=14, deposit=2000, fee=500, late_fee_per_day=100, guides=()) -> dict:
    body = {
        "library": world.library.public_id,
        "title": "Valigia «Stop bullismo»",
        "description": "10 copie, giochi di ruolo, schede per l'insegnante",
        "units": units,
        "loan_days": loan_days,
        "guides": list(guides),
    }
    for name, cents in (("deposit", deposit), ("fee", fee), ("late_fee_per_day", late_fee_per_day)):
        if cents:
            body[name] = {"amount": cents, "currency": "EUR"}
    response = client.post("/v1/guides/manage/kits", json=body, headers=auth(world.librarian))
    assert response.status_code == 201, response.json
    return response.json


def day(offset: int) -> date:
    return today_in_rome() + timedelta(days=offset)


def reserve(client, patron, kit_id, start: int, end: int, *, quantity=1, library=None, headers=None):
    body = {
        "start_date": day(start).isoformat(),
        "end_date": day(end).isoformat(),
        "quantity": quantity,
        "pickup_library": library.public_id,
    }
    return client.post(
        f"/v1/guides/kits/{kit_id}/reservations",
        json=body,
        headers={**auth(patron), **(headers if headers is not None else key())},
    )


def days_pass(db, reservation_id: str, days: int) -> None:
    """Move a reservation and its kit's booked days ``days`` into the past (as if time had passed)."""
    db.expire_all()
    reservation = db.scalar(select(KitReservation).where(KitReservation.public_id == reservation_id))
    shift = timedelta(days=days)
    db.execute(
        update(KitReservation)
        .where(KitReservation.id == reservation.id)
        .values(start_date=reservation.start_date - shift, end_date=reservation.end_date - shift)
    )
    rows = db.scalars(select(KitDay).where(KitDay.kit_id == reservation.kit_id).order_by(KitDay.day)).all()
    moved = [(row.day - shift, row.units, row.booked) for row in rows]
    for row in rows:
        db.delete(row)
    db.flush()
    for when, units, booked in moved:
        db.add(KitDay(kit_id=reservation.kit_id, day=when, units=units, booked=booked))
    db.commit()


def booked(db, kit_pk: int | None = None) -> dict:
    db.expire_all()
    stmt = select(KitDay.day, KitDay.booked)
    if kit_pk is not None:
        stmt = stmt.where(KitDay.kit_id == kit_pk)
    found = {d: b for d, b in db.execute(stmt).all() if b}
    db.commit()
    return found


def reservation_count(db) -> int:
    db.expire_all()
    count = db.scalar(select(func.count()).select_from(KitReservation))
    db.commit()
    return count
