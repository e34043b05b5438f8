"""The PSD2 limited-network monitor: 12 rolling months of wallet payments against 1,000,000 €."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.db import utcnow
from backend.finance.psd2 import volumes, warn
from backend.ledger.services import credit, debit, house_account, post_entry, wallet_of
from backend.money import Money
from backend.notify.models import Notification
from tests.finance.helpers import auth, make_net, pay_fee, top_up

EURO = 100


def _notes(db):
    rows = db.execute(select(Notification.staff_user_id, Notification.kind).order_by(Notification.id)).all()
    db.rollback()
    return rows


def test_the_window_is_the_last_twelve_months_and_only_payments_count(db, app_ctx):
    a = make_net(db)
    now = utcnow()
    top_up(db, a.patron, 5000 * EURO, dated=now - timedelta(days=400))
    pay_fee(db, a.patron, a.library, 1000 * EURO, dated=now - timedelta(days=370))  # 12 months and a bit ago
    pay_fee(db, a.patron, a.library, 300 * EURO, dated=now - timedelta(days=330))
    pay_fee(db, a.patron, a.library, 200 * EURO)
    # Money taken back out of the wallet is not a payment made with it.
    drawer = house_account(db, "cash_drawer", "desk_x", library=a.library)
    post_entry(
        db,
        kind="payout_cash",
        legs=[debit(wallet_of(db, a.patron), Money(100 * EURO)), credit(drawer, Money(100 * EURO))],
    )
    db.commit()
    assert volumes(db, now + timedelta(seconds=1))[a.network.id].amount == 500 * EURO
    # A month on, the payment of 330 days ago is still in; in a year and a month only today's is gone too.
    assert volumes(db, now + timedelta(days=40))[a.network.id].amount == 200 * EURO
    assert a.network.id not in volumes(db, now + timedelta(days=400))
    db.rollback()


def test_finance_and_admins_are_warned_at_80_percent_once_and_get_a_draft_above(client, db, app_ctx):
    a, b = make_net(db), make_net(db)
    top_up(db, a.patron, 1_200_000 * EURO, dated=utcnow() - timedelta(days=30))
    pay_fee(db, a.patron, a.library, 800_000 * EURO, dated=utcnow() - timedelta(days=20))
    db.commit()
    assert client.get("/v1/finance/psd2", headers=auth(a.finance)).get_json()["network"]["level"] == "warning"
    assert warn(db) == 2
    db.commit()
    assert warn(db) == 2  # told again, but deduplicated: once a month per level
    db.commit()
    notes = _notes(db)
    assert sorted(notes) == sorted((person.id, "psd2_warning") for person in (a.finance, a.admin, b.finance, b.admin))
    # Nobody else: not the librarians, not the patrons.
    body = client.get("/v1/finance/psd2", headers=auth(b.finance)).get_json()
    assert body["network"]["volume"]["amount"] == 0 and body["all_networks"]["level"] == "warning"
    assert body["draft"] is None

    pay_fee(db, a.patron, a.library, 200_001 * EURO)
    db.commit()
    body = client.get("/v1/finance/psd2", headers=auth(a.admin)).get_json()
    assert body["all_networks"]["level"] == "exceeded" and body["all_networks"]["share"] >= 1
    assert "Banca d'Italia" in body["draft"] and "1.000.001,00" in body["draft"]
    warn(db)
    db.commit()
    assert "psd2_exceeded" in {kind for _, kind in _notes(db)}
    assert client.get("/v1/finance/psd2", headers=auth(a.librarian)).status_code == 403
