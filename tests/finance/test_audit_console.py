"""The staff audit trail in the console: who did what and when, filtered, read-only, with its export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from backend.db import utcnow
from backend.finance.models import StaffAuditEvent
from backend.i18n import ROME
from tests.finance.helpers import auth, inside, last_month, make_net, top_up
from tests.finance.test_audit_actions import _charge
from tests.finance.test_console import _login

PAGE = "/console/finance/audit"


def _trail(client, db):
    """Network A: its admin deactivates the librarian (rights), its finance closes last month (money books)."""
    a, b = make_net(db), make_net(db)
    month = last_month()
    top_up(db, a.patron, 3000, dated=inside(month, 2))
    db.commit()
    assert client.post(f"/v1/admin/staff/{a.librarian.public_id}/deactivate", headers=auth(a.admin)).status_code == 200
    assert client.post("/v1/finance/periods", json={"month": month}, headers=auth(a.finance)).status_code == 201
    return a, b, month


def test_finance_reads_the_trail_filtered_by_who_what_and_when(client, db, app_ctx):
    a, b, month = _trail(client, db)
    _login(client, a.finance)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Registro delle azioni del personale" in page
    assert "Utente del personale disattivato" in page and "Mese chiuso" in page
    assert a.admin.name in page and a.finance.name in page and a.librarian.public_id in page
    # Who: only the admin's action.
    mine = client.get(PAGE, query_string={"actor": a.admin.public_id}).get_data(as_text=True)
    assert "Utente del personale disattivato" in mine and "Mese chiuso" not in mine
    # What: only month closes.
    closes = client.get(PAGE, query_string={"action": "period."}).get_data(as_text=True)
    assert "Mese chiuso" in closes and "disattivato" not in closes
    # When: today (Europe/Rome) has both, a day of last year has none.
    today = utcnow().astimezone(ROME).date()
    both = client.get(PAGE, query_string={"from": today.isoformat(), "to": today.isoformat()}).get_data(as_text=True)
    assert "Mese chiuso" in both and "disattivato" in both
    old = (today - timedelta(days=400)).isoformat()
    none = client.get(PAGE, query_string={"from": old, "to": old}).get_data(as_text=True)
    assert "Nessuna azione con questi filtri" in none
    # Shown in Europe/Rome.
    event = db.scalars(select(StaffAuditEvent).order_by(StaffAuditEvent.id.desc())).first()
    db.rollback()
    assert event.created_at.astimezone(ROME).strftime("%d/%m/%Y %H:%M") in page
    # Bad filters are a 400, not a guess.
    assert client.get(PAGE, query_string={"from": "ieri"}).status_code == 400
    assert client.get(PAGE, query_string={"from": today.isoformat(), "to": old}).status_code == 400
    assert client.get(PAGE, query_string={"after": "aud_nope"}).status_code == 400
    # The export of the month, from the page's link.
    link = f"/console/finance/reports/{today.year:04d}-{today.month:02d}/audit.csv_it"
    assert link in page
    exported = client.get(link)
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True)), delimiter=";"))
    assert any("period.close" in ";".join(row) for row in rows)
    # Read-only: no form on the page changes anything.
    assert 'method="post"' not in page.split("<main", 1)[1]


def test_another_network_sees_none_of_it_and_a_librarian_not_the_page(client, db, app_ctx):
    a, b, _ = _trail(client, db)
    other = client.application.test_client()
    _login(other, b.finance)
    page = other.get(PAGE).get_data(as_text=True)
    assert "Nessuna azione con questi filtri" in page and a.admin.name not in page
    assert other.get(PAGE, query_string={"actor": a.admin.public_id}).get_data(as_text=True).count("event-") == 0
    librarian = client.application.test_client()
    _login(librarian, b.librarian)  # a's librarian was deactivated by the trail
    assert librarian.get(PAGE).status_code == 403


def test_many_events_page_back_with_the_filters_kept(client, db, app_ctx):
    a = make_net(db)
    db.commit()
    for _ in range(3):
        for who in range(20):
            db.add(
                StaffAuditEvent(
                    actor=a.admin.public_id,
                    actor_role="admin",
                    network_id=a.network.id,
                    channel="api",
                    action="staff.create",
                    target=f"usr_{who}",
                    created_at=utcnow(),
                )
            )
    db.commit()
    _login(client, a.finance)
    first = client.get(PAGE, query_string={"action": "staff."}).get_data(as_text=True)
    assert first.count('id="event-') == 50 and 'id="audit-older"' in first
    import html
    import re

    older = html.unescape(re.search(r'id="audit-older" href="([^"]+)"', first).group(1))
    assert "action=staff." in older
    second = client.get(older).get_data(as_text=True)
    assert second.count('id="event-') == 10 and 'id="audit-older"' not in second


def test_a_fee_charged_at_the_desk_is_named_and_filtered_as_a_fee_on_the_page(client, db, app_ctx):
    a = make_net(db)
    db.commit()
    _charge(client, a, 1800)
    _login(client, a.finance)
    fees = client.get(PAGE, query_string={"action": "fee."}).get_data(as_text=True)
    assert "Addebito registrato" in fees and "fee.charge" not in fees
    assert "Nessuna azione con questi filtri" in client.get(PAGE, query_string={"action": "offer."}).get_data(
        as_text=True
    )
