"""Two librarians topping up the same patron at the same moment (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select

from backend.desk.models import CashSession, Desk
from backend.ledger.audit import run_audit
from backend.ledger.services import wallet_of
from backend.receipts.models import Receipt
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff

pytestmark = pytest.mark.postgres_only


def test_two_librarians_top_up_the_same_patron_at_once(app, db):
    network = make_network(db)
    library = make_library(db, network)
    librarians = [make_staff(db, "librarian", network, libraries=[library]) for _ in range(2)]
    patron = make_patron(db, network, library)
    desks = [Desk(library=library, name=f"Cassa {i + 1}") for i in range(2)]
    db.add_all(desks)
    db.flush()
    sessions = [
        CashSession(desk_id=desk.id, opened_by_id=who.id, opening_float=5000, currency="EUR")
        for desk, who in zip(desks, librarians)
    ]
    db.add_all(sessions)
    db.commit()
    work = [(s.public_id, bearer(who), amount) for s, who, amount in zip(sessions, librarians, (2000, 3500))]
    card = patron.card_number
    db.rollback()

    barrier = threading.Barrier(len(work))
    results = [None] * len(work)

    def run(i):
        session_id, headers, amount = work[i]
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/v1/desk/sessions/{session_id}/topups",
            json={"card_number": card, "amount": {"amount": amount, "currency": "EUR"}},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        results[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert [status for status, _ in results] == [201, 201], results
    # Each receipt shows the balance right after its own operation: one saw 0 + its amount.
    after = sorted(body["balance_after"]["amount"] for _, body in results)
    assert after in ([2000, 5500], [3500, 5500])
    wallet = wallet_of(db, patron)
    db.refresh(wallet)
    assert wallet.balance == 5500
    numbers = sorted(db.scalars(select(Receipt.sequence).where(Receipt.library_id == library.id)))
    assert numbers == [1, 2]  # gap-free, no number twice
    assert run_audit(db).clean
    db.rollback()
