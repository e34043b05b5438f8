"""Cash by day per library, hand-over to the bank run and bank deposits matched to their sessions."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from backend.db import utcnow
from backend.desk.models import Desk
from backend.finance.reconciliation.models import CashDeposit, CashHandover
from backend.i18n import ROME
from tests.campaigns.helpers import assert_audit_clean
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff

CASH = "/v1/finance/reconciliation/cash"


def _eur(cents):
    return {"amount": cents, "currency": "EUR"}


class Desks:
    def __init__(self, client, db):
        self.client, self.db = client, db
        self.network = make_network(db)
        self.rho, self.legnano = make_library(db, self.network), make_library(db, self.network)
        self.librarian = make_staff(db, "librarian", self.network, libraries=[self.rho, self.legnano])
        self.finance = make_staff(db, "finance", self.network)
        other = make_network(db)
        self.other_finance = make_staff(db, "finance", other)
        self.patron = make_patron(db, self.network, self.rho)
        self.desks = [Desk(library=self.rho, name="Cassa 1"), Desk(library=self.rho, name="Cassa 2")]
        self.desks.append(Desk(library=self.legnano, name="Cassa 1"))
        db.add_all(self.desks)
        db.commit()

    def post(self, url, who, body):
        headers = {**bearer(who), "Idempotency-Key": str(uuid.uuid4())}
        self.db.commit()
        return self.client.post(url, json=body, headers=headers)

    def get(self, url, who=None, **params):
        headers = bearer(who or self.finance)
        self.db.commit()
        return self.client.get(url, headers=headers, query_string=params)

    def session(self, desk, float_cents, topups, counted=None):
        """A librarian's session: opened on a float, cash top-ups, closed with the counted cash."""
        opened = self.post(
            f"/v1/desk/desks/{desk.public_id}/sessions", self.librarian, {"opening_float": _eur(float_cents)}
        )
        assert opened.status_code == 201, opened.json
        sid = opened.json["id"]
        for cents in topups:
            done = self.post(
                f"/v1/desk/sessions/{sid}/topups",
                self.librarian,
                {"card_number": self.patron.card_number, "amount": _eur(cents)},
            )
            assert done.status_code == 201, done.json
        if counted is not None:
            closed = self.post(f"/v1/desk/sessions/{sid}/close", self.librarian, {"counted": _eur(counted)})
            assert closed.status_code == 200, closed.json
        return sid

    def balance(self, kind, owner=None):
        from backend.ledger.models import LedgerAccount
        from backend.ledger.services import account_balance

        self.db.rollback()
        stmt = select(LedgerAccount).where(LedgerAccount.kind == kind)
        if owner is not None:
            stmt = stmt.where(LedgerAccount.library_id == owner.id)
        total = sum(account_balance(self.db, a).amount for a in self.db.scalars(stmt))
        self.db.rollback()
        return total


@pytest.fixture
def desks(client, db, app_ctx):
    return Desks(client, db)


def _today():
    return utcnow().astimezone(ROME).date().isoformat()


def _library_day(desks, library):
    day = desks.get(f"{CASH}/days", day=_today())
    assert day.status_code == 200, day.json
    return next(lib for lib in day.json["libraries"] if lib["library_id"] == library.public_id)


def test_a_day_of_sessions_rolls_up_is_handed_over_and_deposited_on_one_slip(desks):
    s1 = desks.session(desks.desks[0], 10_000, [2_000, 3_000], counted=15_000)  # exact
    s2 = desks.session(desks.desks[1], 5_000, [1_000], counted=5_950)  # 50 cents short
    still_open = desks.session(desks.desks[2], 5_000, [700])

    rho = _library_day(desks, desks.rho)
    assert (rho["expected"], rho["counted"], rho["difference"]) == (_eur(21_000), _eur(20_950), _eur(-50))
    lines = {s["session_id"]: s for s in rho["sessions"]}
    assert lines[s1]["to_bank"] == _eur(5_000) and lines[s2]["to_bank"] == _eur(950)
    assert not lines[s1]["handed_over"] and lines[s1]["deposit_id"] is None
    assert rho["in_transit"] == _eur(0)
    legnano = _library_day(desks, desks.legnano)
    [open_line] = legnano["sessions"]
    assert open_line["session_id"] == still_open and open_line["status"] == "open"
    assert open_line["expected"] == _eur(5_700) and open_line["counted"] is None

    # The first session's cash leaves the drawer: visible in transit until deposited.
    handed = desks.post(f"{CASH}/handovers", desks.finance, {"session_ids": [s1]})
    assert handed.status_code == 201, handed.json
    assert handed.json["data"] == [{"session_id": s1, "amount": _eur(5_000)}]
    assert _library_day(desks, desks.rho)["in_transit"] == _eur(5_000)
    assert desks.balance("cash_in_transit", desks.rho) == 5_000

    slip = {
        "library_id": desks.rho.public_id,
        "amount": _eur(5_950),
        "deposited_on": _today(),
        "slip_number": "BPM-000123",
        "session_ids": [s1, s2],
    }
    deposit = desks.post(f"{CASH}/deposits", desks.finance, slip)
    assert deposit.status_code == 201, deposit.json
    body = deposit.json
    assert body["carried"] == _eur(5_950) and body["difference"] == _eur(0)
    assert body["session_ids"] == [s1, s2] and body["slip_number"] == "BPM-000123"
    rho = _library_day(desks, desks.rho)
    assert rho["in_transit"] == _eur(0)
    assert {s["deposit_id"] for s in rho["sessions"]} == {body["id"]}
    assert desks.balance("bank") == 5_950
    assert desks.balance("cash_drawer", desks.rho) == 0  # only the floats stay, and they are not booked
    listed = desks.get(f"{CASH}/deposits").json["data"]
    assert [d["id"] for d in listed] == [body["id"]] and listed[0]["session_ids"] == [s1, s2]
    assert_audit_clean(desks.db)


def test_a_slip_for_another_amount_books_the_difference_to_over_short(desks):
    s1 = desks.session(desks.desks[0], 10_000, [4_000], counted=14_000)
    slip = {
        "library_id": desks.rho.public_id,
        "amount": _eur(3_990),
        "deposited_on": _today(),
        "slip_number": "S-1",
        "session_ids": [s1],
    }
    deposit = desks.post(f"{CASH}/deposits", desks.finance, slip)
    assert deposit.status_code == 201 and deposit.json["difference"] == _eur(-10)
    assert desks.balance("bank") == 3_990 and desks.balance("cash_over_short", desks.rho) == 10
    assert_audit_clean(desks.db)


def _counts(desks):
    desks.db.rollback()
    counts = (
        desks.db.scalar(select(func.count()).select_from(CashDeposit)),
        desks.db.scalar(select(func.count()).select_from(CashHandover)),
    )
    desks.db.rollback()
    return counts


def test_bad_deposits_are_refused_and_change_nothing(desks):
    s1 = desks.session(desks.desks[0], 10_000, [4_000], counted=14_000)
    open_one = desks.session(desks.desks[1], 1_000, [500])
    empty = desks.session(desks.desks[2], 1_000, [], counted=1_000)
    other_library = desks.session(desks.desks[2], 1_000, [300], counted=1_300)
    base = {"library_id": desks.rho.public_id, "amount": _eur(4_000), "deposited_on": _today(), "slip_number": "X1"}

    def refused(body, status, code=None):
        response = desks.post(f"{CASH}/deposits", desks.finance, body)
        assert response.status_code == status, response.json
        if code:
            assert response.json["error"]["code"] == code
        assert _counts(desks) == (0, 0)
        assert desks.balance("cash_in_transit") == 0 and desks.balance("bank") == 0

    refused({**base, "session_ids": [open_one]}, 409, "cash_session_not_closed")
    refused({**base, "session_ids": [s1, open_one]}, 409, "cash_session_not_closed")
    refused({**base, "session_ids": [s1, other_library]}, 422, "cash_session_other_library")
    refused({**base, "library_id": desks.legnano.public_id, "session_ids": [empty]}, 422, "nothing_to_deposit")
    refused({**base, "session_ids": []}, 400)
    refused({**base, "session_ids": ["css_nope"]}, 404)
    refused({**base, "amount": _eur(0), "session_ids": [s1]}, 400)
    refused({**base, "slip_number": "", "session_ids": [s1]}, 400)
    refused({**base, "deposited_on": "yesterday", "session_ids": [s1]}, 400)
    refused({k: v for k, v in base.items() if k != "amount"} | {"session_ids": [s1]}, 400)
    # Another network's finance sees neither the library nor the sessions.
    other = desks.post(f"{CASH}/deposits", desks.other_finance, {**base, "session_ids": [s1]})
    assert other.status_code == 404 and _counts(desks) == (0, 0)
    assert (
        desks.get(f"{CASH}/days", desks.other_finance, day=_today(), library_id=desks.rho.public_id).status_code == 404
    )
    assert desks.get(f"{CASH}/days", desks.librarian, day=_today()).status_code == 403

    ok = desks.post(f"{CASH}/deposits", desks.finance, {**base, "session_ids": [s1]})
    assert ok.status_code == 201
    again = desks.post(f"{CASH}/deposits", desks.finance, {**base, "slip_number": "X2", "session_ids": [s1]})
    assert again.status_code == 409 and again.json["error"]["code"] == "cash_session_already_deposited"
    same_slip = desks.post(
        f"{CASH}/deposits",
        desks.finance,
        {
            **base,
            "library_id": desks.legnano.public_id,
            "amount": _eur(300),
            "session_ids": [other_library],
            "slip_number": "X3",
        },
    )
    assert same_slip.status_code == 201
    dup = desks.post(f"{CASH}/deposits", desks.finance, {**base, "session_ids": [other_library], "slip_number": "X1"})
    assert dup.status_code == 409 and dup.json["error"]["code"] == "deposit_slip_already_recorded"
    assert _counts(desks) == (2, 2)
    hand_twice = desks.post(f"{CASH}/handovers", desks.finance, {"session_ids": [s1]})
    assert hand_twice.status_code == 409
    assert desks.balance("bank") == 4_300 and desks.balance("cash_in_transit") == 0
    assert_audit_clean(desks.db)


def _last_day_of_last_month():
    from datetime import timedelta

    return utcnow().astimezone(ROME).date().replace(day=1) - timedelta(days=1)


def test_a_slip_recorded_days_later_is_booked_on_its_own_day(desks):
    from backend.finance.reconciliation.models import CashDeposit
    from backend.ledger.models import JournalEntry
    from backend.ledger.periods import month_of

    s1 = desks.session(desks.desks[0], 10_000, [4_000], counted=14_000)
    slip_day = _last_day_of_last_month()
    done = desks.post(
        f"{CASH}/deposits",
        desks.finance,
        {
            "library_id": desks.rho.public_id,
            "amount": _eur(4_000),
            "deposited_on": slip_day.isoformat(),
            "slip_number": "B-30",
            "session_ids": [s1],
        },
    )
    assert done.status_code == 201, done.json
    deposit = desks.db.scalars(select(CashDeposit)).one()
    handover = desks.db.scalars(select(CashHandover)).one()
    for entry_id in (deposit.entry_id, handover.entry_id):
        booked = desks.db.get(JournalEntry, entry_id).created_at
        # In the slip's month and on its day (Europe/Rome), not the day it was typed in.
        assert booked.astimezone(ROME).date() == slip_day
        assert month_of(booked) == slip_day.strftime("%Y-%m")
    desks.db.rollback()
    assert desks.balance("bank") == 4_000 and desks.balance("cash_in_transit") == 0
    assert_audit_clean(desks.db)


def test_a_slip_dated_inside_a_closed_month_is_refused_and_changes_nothing(desks):
    s1 = desks.session(desks.desks[0], 10_000, [4_000], counted=14_000)
    slip_day = _last_day_of_last_month()
    month = slip_day.strftime("%Y-%m")
    closed = desks.post("/v1/finance/periods", desks.finance, {"month": month})
    assert closed.status_code == 201, closed.json
    body = {
        "library_id": desks.rho.public_id,
        "amount": _eur(4_000),
        "deposited_on": slip_day.isoformat(),
        "slip_number": "B-30",
        "session_ids": [s1],
    }
    refused = desks.post(f"{CASH}/deposits", desks.finance, body)
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["code"] == "period_closed"
    assert refused.json["error"]["param"] == "deposited_on"
    assert month in refused.json["error"]["message"]
    assert _counts(desks) == (0, 0)
    assert desks.balance("cash_in_transit") == 0 and desks.balance("bank") == 0
    # The same slip dated in the open month goes through.
    ok = desks.post(f"{CASH}/deposits", desks.finance, {**body, "deposited_on": _today()})
    assert ok.status_code == 201, ok.json
