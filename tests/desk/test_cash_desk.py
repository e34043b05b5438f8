"""Cash desk: session arithmetic, closed sessions, scope, receipts."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from backend.desk.models import Desk, DeskOperation
from backend.ledger.audit import run_audit
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff


def _eur(cents):
    return {"amount": cents, "currency": "EUR"}


def _post(client, url, who, body):
    return client.post(url, json=body, headers={**bearer(who), "Idempotency-Key": str(uuid.uuid4())})


def _setup(db):
    network = make_network(db)
    library, other_library = make_library(db, network), make_library(db, network)
    librarian = make_staff(db, "librarian", network, libraries=[library])
    stranger = make_staff(db, "librarian", network, libraries=[other_library])
    patron = make_patron(db, network, library)
    desk = Desk(library=library, name="Cassa 1")
    db.add(desk)
    db.commit()
    return library, librarian, stranger, patron, desk


def test_session_arithmetic_close_with_deficit_and_closed_session_refuses(client, db, app_ctx):
    library, librarian, _, patron, desk = _setup(db)
    opened = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(10000)})
    assert opened.status_code == 201, opened.json
    sid = opened.json["id"]
    again = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(100)})
    assert again.status_code == 409
    for cents in (2000, 3000):
        r = _post(
            client,
            f"/v1/desk/sessions/{sid}/topups",
            librarian,
            {"card_number": patron.card_number, "amount": _eur(cents)},
        )
        assert r.status_code == 201, r.json
    payout = _post(
        client, f"/v1/desk/sessions/{sid}/payouts", librarian, {"card_number": patron.card_number, "amount": _eur(1000)}
    )
    assert payout.status_code == 201 and payout.json["balance_after"] == _eur(4000)
    numbers = [r for r in client.get(f"/v1/desk/sessions/{sid}/operations", headers=bearer(librarian)).json["data"]]
    assert sorted(o["receipt_number"] for o in numbers) == [
        f"{library.code}-{o}" for o in sorted(n["receipt_number"].split("-", 1)[1] for n in numbers)
    ]
    closed = _post(client, f"/v1/desk/sessions/{sid}/close", librarian, {"counted": _eur(13950), "note": "manca 50c"})
    assert closed.status_code == 200, closed.json
    body = closed.json
    assert body["expected"] == _eur(14000) and body["counted"] == _eur(13950)
    assert body["difference"] == {"amount": -50, "currency": "EUR"} and body["status"] == "closed"
    totals = {(t["operation"], t["method"]): (t["count"], t["total"]["amount"]) for t in body["totals"]}
    assert totals == {("cash_topup", "cash"): (2, 5000), ("cash_payout", "cash"): (1, 1000)}
    late = _post(
        client, f"/v1/desk/sessions/{sid}/topups", librarian, {"card_number": patron.card_number, "amount": _eur(500)}
    )
    assert late.status_code == 409 and late.json["error"]["code"] == "cash_session_closed"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(DeskOperation)) == 3
    assert run_audit(db).clean
    db.rollback()


def test_librarian_of_another_library_is_refused_and_nothing_changes(client, db, app_ctx):
    _, librarian, stranger, patron, desk = _setup(db)
    sid = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(5000)}).json[
        "id"
    ]
    assert (
        _post(
            client,
            f"/v1/desk/sessions/{sid}/topups",
            stranger,
            {"card_number": patron.card_number, "amount": _eur(500)},
        ).status_code
        == 404
    )
    assert _post(client, f"/v1/desk/sessions/{sid}/close", stranger, {"counted": _eur(0)}).status_code == 404
    assert client.get(f"/v1/desk/sessions/{sid}", headers=bearer(stranger)).status_code == 404
    assert client.get(f"/v1/desk/sessions/{sid}", headers=bearer(librarian)).json["status"] == "open"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(DeskOperation)) == 0
    db.rollback()


def test_receipt_html_and_pdf_in_both_languages_and_card_money_not_paid_in_cash(client, db, app_ctx):
    from tests.support.ledger import fund_wallet

    library, librarian, _, patron, desk = _setup(db)
    fund_wallet(db, patron, 3000, source="card")
    db.commit()
    sid = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(5000)}).json[
        "id"
    ]
    op = _post(
        client, f"/v1/desk/sessions/{sid}/topups", librarian, {"card_number": patron.card_number, "amount": _eur(1250)}
    ).json
    html = client.get(f"/v1/desk/receipts/{op['receipt_id']}?lang=it", headers=bearer(librarian))
    assert html.status_code == 200 and html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    for expected in (library.name, librarian.name, "12,50", "42,50", op["receipt_number"]):
        assert expected in text
    assert "Balance after" in client.get(
        f"/v1/desk/receipts/{op['receipt_id']}?lang=en", headers=bearer(librarian)
    ).get_data(as_text=True)
    pdf = client.get(f"/v1/desk/receipts/{op['receipt_id']}?format=pdf", headers=bearer(librarian))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    too_much = _post(
        client, f"/v1/desk/sessions/{sid}/payouts", librarian, {"card_number": patron.card_number, "amount": _eur(2000)}
    )
    assert too_much.status_code == 422 and too_much.json["error"]["code"] == "not_enough_cash_balance"
    assert too_much.json["error"]["payable"] == _eur(1250)


def test_a_cash_top_up_pays_the_ticket_order_waiting_for_it_at_once(client, db, app_ctx):
    from backend.desk.models import Desk as CashDesk
    from tests.events.helpers import assert_audit_clean, auth, balance, buy_body, counts, key, make_world

    world = make_world(db, capacity=5, price=1200, funds=500, patrons=1)
    patron = world.patrons[0]
    waiting = client.post(
        f"/v1/events/occurrences/{world.occurrence.public_id}/orders",
        json=buy_body(world.full, 2, pay_shortfall_by_card=True),
        headers={**auth(patron), **key()},
    )
    assert waiting.status_code == 202 and waiting.json["order"]["status"] == "awaiting_payment"
    desk = CashDesk(library=world.library, name="Cassa 1")
    db.add(desk)
    db.commit()
    sid = _post(
        client, f"/v1/desk/desks/{desk.public_id}/sessions", world.librarian, {"opening_float": _eur(5000)}
    ).json["id"]
    topup = _post(
        client,
        f"/v1/desk/sessions/{sid}/topups",
        world.librarian,
        {"card_number": patron.card_number, "amount": _eur(2000)},
    )
    assert topup.status_code == 201, topup.json
    # Not after the 30-second job: the order is paid in the top-up's own transaction.
    order = client.get(f"/v1/events/orders/{waiting.json['order']['id']}", headers=auth(patron)).json
    assert order["status"] == "completed" and all(t["qr_code"] for t in order["tickets"])
    assert balance(db, patron) == 2500 - 2400
    assert counts(db, world.occurrence)["sold"] == 2
    assert_audit_clean(db)


def test_looking_a_patron_up_at_the_desk_writes_nothing(client, db, app_ctx):
    from backend.ledger.models import LedgerAccount

    _, librarian, _, patron, desk = _setup(db)
    before = db.scalar(select(func.count()).select_from(LedgerAccount))
    found = client.get(f"/v1/desk/patrons/lookup?card_number={patron.card_number}", headers=bearer(librarian))
    assert found.status_code == 200, found.json
    assert found.json["balance"] == _eur(0) and found.json["payable_in_cash"] == _eur(0)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(LedgerAccount)) == before  # no wallet created by a GET
    listed = client.get("/v1/desk/desks", headers=bearer(librarian)).json["data"]
    assert [d["open_session_id"] for d in listed] == [None]
    opened = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(5000)})
    listed = client.get("/v1/desk/desks", headers=bearer(librarian)).json["data"]
    assert [d["open_session_id"] for d in listed] == [opened.json["id"]]


def test_a_receipt_issued_after_midnight_in_rome_joins_the_new_year_series(client, db, app_ctx, monkeypatch):
    from datetime import UTC, datetime

    from backend.receipts import services as receipt_services

    library, librarian, _, patron, desk = _setup(db)
    sid = _post(client, f"/v1/desk/desks/{desk.public_id}/sessions", librarian, {"opening_float": _eur(5000)}).json[
        "id"
    ]
    # 22:30 UTC on 31 December 2026 is 23:30 in Rome; 23:30 and 23:40 UTC are already 1 January 2027 there.
    issued = []
    for hour, minute in ((22, 30), (23, 30), (23, 40)):
        moment = datetime(2026, 12, 31, hour, minute, tzinfo=UTC)
        monkeypatch.setattr(receipt_services, "utcnow", lambda moment=moment: moment)
        op = _post(
            client,
            f"/v1/desk/sessions/{sid}/topups",
            librarian,
            {"card_number": patron.card_number, "amount": _eur(500)},
        )
        assert op.status_code == 201, op.json
        issued.append(op.json)
    code = library.code
    # Gap-free per year: the first receipt of 2027 is number 1 of its series.
    assert [op["receipt_number"] for op in issued] == [
        f"{code}-2026-000001",
        f"{code}-2027-000001",
        f"{code}-2027-000002",
    ]
    for op, date in zip(
        issued, ("31 dicembre 2026 23:30", "1 gennaio 2027 00:30", "1 gennaio 2027 00:40"), strict=True
    ):
        text = client.get(f"/v1/desk/receipts/{op['receipt_id']}?lang=it", headers=bearer(librarian)).get_data(
            as_text=True
        )
        assert op["receipt_number"] in text and date in text
