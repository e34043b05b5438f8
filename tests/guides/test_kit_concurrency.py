"""Kit units are never double-booked: many patrons reserving overlapping ranges at once (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.guides.models import KitDay, KitReservation
from tests.events.helpers import assert_audit_clean
from tests.guides.helpers import make_world
from tests.guides.kit_helpers import create_kit, day
from tests.support.factories import bearer, make_patron
from tests.support.ledger import fund_wallet

pytestmark = pytest.mark.postgres_only

UNITS = 3
PATRONS = 16


def test_overlapping_reservations_at_once_never_exceed_the_units(app, client, db):
    world = make_world(db, patrons=0)
    patrons = [make_patron(db, world.network, world.library) for _ in range(PATRONS)]
    for patron in patrons:
        fund_wallet(db, patron, 10_000)
    db.commit()
    kit = create_kit(client, world, units=UNITS, loan_days=10)
    # Ranges overlap on day 5 (every one) and in shifting windows around it.
    ranges = [(1 + i % 4, 5 + i % 3) for i in range(PATRONS)]
    with app.app_context():
        headers = [bearer(p) for p in patrons]
    barrier = threading.Barrier(PATRONS)
    statuses: list[int] = [0] * PATRONS
    errors: list[BaseException] = []

    def attempt(index: int) -> None:
        start, end = ranges[index]
        try:
            own = app.test_client()
            barrier.wait()
            response = own.post(
                f"/v1/guides/kits/{kit['id']}/reservations",
                json={
                    "start_date": day(start).isoformat(),
                    "end_date": day(end).isoformat(),
                    "pickup_library": world.library.public_id,
                },
                headers={**headers[index], "Idempotency-Key": f"k-{index}"},
            )
            statuses[index] = response.status_code
            if response.status_code == 409:
                assert response.json["error"]["code"] == "kit_unavailable"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(PATRONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert set(statuses) <= {201, 409}
    # Every reservation covers day 5: exactly UNITS can succeed.
    assert statuses.count(201) == UNITS

    db.expire_all()
    reservations = db.scalars(select(KitReservation).where(KitReservation.state == "reserved")).all()
    per_day = Counter()
    for reservation in reservations:
        current = reservation.start_date
        while current <= reservation.end_date:
            per_day[current] += reservation.quantity
            current += timedelta(days=1)
    booked = {row.day: row.booked for row in db.scalars(select(KitDay)) if row.booked}
    db.commit()
    assert max(per_day.values()) <= UNITS
    assert booked == dict(per_day)  # the counters are exactly the reservations, nothing leaked
    assert_audit_clean(db)
