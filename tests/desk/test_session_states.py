"""Cash session states: a closed session is closed for good, its count as first booked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from backend.desk.models import CASH_SESSION_TRANSITIONS, CashSession, CashSessionState
from backend.ledger.audit import run_audit
from backend.ledger.models import JournalEntry
from tests.desk.test_cash_desk import _eur, _post, _setup


def _stored(db, sid):
    db.rollback()
    row = db.execute(
        select(
            CashSession.status,
            CashSession.counted_amount,
            CashSession.difference,
            CashSession.closed_at,
            CashSession.note,
        ).where(CashSession.public_id == sid)
    ).one()
    entries = db.scalar(select(func.count()).select_from(JournalEntry))
    db.rollback()
    return tuple(row), entries


def test_closed_is_final():
    assert CASH_SESSION_TRANSITIONS.sources_of(CashSessionState.CLOSED) == (CashSessionState.OPEN,)
    assert CASH_SESSION_TRANSITIONS.is_final(CashSessionState.CLOSED)


def test_closing_a_closed_session_again_is_refused_and_keeps_the_first_count(client, db, app_ctx):
    _, librarian, _, _, desk = _setup(db)
    opened = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(10000)})
    sid = opened.json["id"]
    first = _post(client, f"/v1/desk/sessions/{sid}/close", librarian, {"counted": _eur(9950), "note": "manca 50c"})
    assert first.status_code == 200 and first.json["difference"] == _eur(-50)
    before = _stored(db, sid)
    assert before[0][0] == CashSessionState.CLOSED

    again = _post(client, f"/v1/desk/sessions/{sid}/close", librarian, {"counted": _eur(10000), "note": "ricontato"})
    assert again.status_code == 409 and again.json["error"]["code"] == "cash_session_closed"
    assert _stored(db, sid) == before  # same count, difference, time and note; no new entry
    db.rollback()
    assert run_audit(db).clean
    db.rollback()


def test_the_database_refuses_a_session_state_outside_the_enum(client, db, app_ctx):
    _, librarian, _, _, desk = _setup(db)
    sid = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(5000)}).json[
        "id"
    ]
    db.rollback()
    with pytest.raises(IntegrityError):
        db.execute(update(CashSession).where(CashSession.public_id == sid).values(status="paused"))
    db.rollback()
    assert db.scalar(select(CashSession.status).where(CashSession.public_id == sid)) == CashSessionState.OPEN
    db.rollback()
