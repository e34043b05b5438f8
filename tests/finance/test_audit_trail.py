"""The staff audit trail: written for each staff action on money or rights, never changed, read by finance."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from backend.desk.models import Desk
from backend.finance.models import StaffAuditEvent
from tests.finance.helpers import auth, make_net, pay_fee, top_up


def _eur(cents):
    return {"amount": cents, "currency": "EUR"}


def _sign_in(client, staff):
    response = client.post("/v1/auth/staff/password", json={"email": staff.email, "password": "staff-password"})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_a_librarians_cash_top_up_is_in_the_trail_with_who_which_session_and_the_postings(client, db, app_ctx):
    a = make_net(db)
    desk = Desk(library=a.library, name="Cassa 1")
    db.add(desk)
    db.commit()
    headers = _sign_in(client, a.librarian)
    opened = client.post(
        f"/v1/desk/desks/{desk.public_id}/sessions",
        json={"opening_float": _eur(5000)},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert opened.status_code == 201, opened.get_json()
    topped = client.post(
        f"/v1/desk/sessions/{opened.get_json()['id']}/topups",
        json={"card_number": a.patron.card_number, "amount": _eur(2000)},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert topped.status_code == 201, topped.get_json()

    trail = client.get("/v1/finance/audit?action=ledger.", headers=auth(a.finance)).get_json()["data"]
    assert len(trail) == 1
    event = trail[0]
    assert event["actor"] == a.librarian.public_id and event["actor_role"] == "librarian"
    assert event["channel"] == "api" and event["session_id"].startswith("ses_")
    postings = {p["account"].split(":")[0]: p["amount"] for p in event["after"]["postings"]}
    assert postings == {"cash_drawer": 2000, "wallet": -2000}
    assert "email" not in str(event)


def test_staff_created_and_deactivated_by_an_admin_are_in_the_trail_before_and_after(client, db, app_ctx):
    a = make_net(db)
    db.commit()
    created = client.post(
        "/v1/admin/staff",
        json={
            "email": "nuova@example.org",
            "name": "Nuova",
            "role": "librarian",
            "password": "a-long-password-1",
            "library_ids": [a.library.public_id],
        },
        headers=auth(a.admin),
    )
    assert created.status_code == 201, created.get_json()
    user_id = created.get_json()["id"]
    assert client.post(f"/v1/admin/staff/{user_id}/deactivate", headers=auth(a.admin)).status_code == 200

    trail = client.get("/v1/finance/audit?action=staff.", headers=auth(a.finance)).get_json()["data"]
    assert [(e["action"], e["target"]) for e in trail] == [("staff.deactivate", user_id), ("staff.create", user_id)]
    assert trail[1]["before"] is None
    assert trail[1]["after"] == {
        "role": "librarian",
        "active": True,
        "libraries": [a.library.public_id],
        "partner_venue": None,
        "partner": None,
    }
    assert trail[0]["before"]["active"] is True and trail[0]["after"]["active"] is False
    assert "nuova@example.org" not in str(trail)


def test_patrons_and_jobs_write_nothing_and_other_networks_see_nothing(client, db, app_ctx):
    a, b = make_net(db), make_net(db)
    top_up(db, a.patron, 1000)
    pay_fee(db, a.patron, a.library, 300)
    db.commit()
    assert db.scalar(select(func.count()).select_from(StaffAuditEvent)) == 0
    db.rollback()
    client.post("/v1/admin/staff/" + a.librarian.public_id + "/deactivate", headers=auth(a.admin))
    assert len(client.get("/v1/finance/audit", headers=auth(a.admin)).get_json()["data"]) == 1
    assert client.get("/v1/finance/audit", headers=auth(b.finance)).get_json()["data"] == []
    assert client.get("/v1/finance/audit", headers=auth(a.librarian)).status_code in (401, 403)
    assert client.get("/v1/finance/audit", headers=auth(a.patron)).status_code == 403


@pytest.mark.postgres_only
def test_the_database_refuses_to_change_or_delete_an_event(client, db, app_ctx):
    a = make_net(db)
    db.commit()
    client.post("/v1/admin/staff/" + a.librarian.public_id + "/deactivate", headers=auth(a.admin))
    for statement in ("UPDATE staff_audit_events SET actor = 'someone else'", "DELETE FROM staff_audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement))
        db.rollback()
    assert db.scalar(select(func.count()).select_from(StaffAuditEvent)) == 1
    db.rollback()


def test_the_trail_is_filtered_by_when_and_a_bad_range_is_refused(client, db, app_ctx):
    from datetime import timedelta

    from backend.db import utcnow

    a = make_net(db)
    db.commit()
    client.post("/v1/admin/staff/" + a.librarian.public_id + "/deactivate", headers=auth(a.admin))
    now = utcnow()
    hour = timedelta(hours=1)

    def listed(**window):
        response = client.get(
            "/v1/finance/audit", query_string={k: v.isoformat() for k, v in window.items()}, headers=auth(a.finance)
        )
        assert response.status_code == 200, response.get_json()
        return [e["action"] for e in response.get_json()["data"]]

    assert listed(created_from=now - hour, created_to=now + hour) == ["staff.deactivate"]
    assert listed(created_from=now + hour) == []
    assert listed(created_to=now - hour) == []
    refused = client.get(
        "/v1/finance/audit",
        query_string={"created_from": (now + hour).isoformat(), "created_to": now.isoformat()},
        headers=auth(a.finance),
    )
    assert refused.status_code == 400 and refused.get_json()["error"]["param"] == "created_to"
