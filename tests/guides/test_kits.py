"""Cultural kits: reserve, clash with next free dates, pick-up and return with the deposit, lateness,
cancellation, reminders, and who may see or touch a reservation."""

from __future__ import annotations

from sqlalchemy import select

from backend.guides.kits import send_kit_reminders
from backend.guides.models import Kit, KitReservation
from backend.ledger.models import Hold
from backend.notify.models import Notification
from tests.events.helpers import assert_audit_clean, balance
from tests.guides.helpers import ISBNS, auth, key, make_world, published_guide
from tests.guides.kit_helpers import booked, create_kit, day, days_pass, reservation_count, reserve
from tests.support.ledger import fund_wallet


def _world(db, funds=10_000):
    world = make_world(db)
    for patron in world.patrons:
        fund_wallet(db, patron, funds)
    db.commit()
    return world


def _available(client, patron):
    return client.get("/v1/wallet", headers=auth(patron)).json


def test_reserve_pick_up_and_return_moves_deposit_and_fee_through_the_ledger(client, db):
    world = _world(db)
    guide = published_guide(client, world, isbns=ISBNS[:1])
    kit = create_kit(client, world, guides=[guide["id"]])
    assert client.get(f"/v1/guides/{guide['id']}", headers=auth(world.patrons[0])).json["kits"][0]["id"] == kit["id"]
    patron = world.patrons[0]

    response = reserve(client, patron, kit["id"], 3, 9, library=world.library)
    assert response.status_code == 201, response.json
    reservation = response.json
    assert reservation["state"] == "reserved"
    assert reservation["deposit"] == {"amount": 2000, "currency": "EUR"}
    assert reservation["fee"] == {"amount": 500, "currency": "EUR"}
    # Held, not taken: the balance is whole, 25,00 € are set aside.
    assert balance(db, patron) == 10_000
    db.expire_all()
    hold = db.scalar(select(Hold).where(Hold.reference == reservation["id"]))
    assert (hold.status, hold.amount) == ("pending", 2500)
    db.commit()
    calendar = client.get(
        f"/v1/guides/kits/{kit['id']}", query_string={"start": day(3).isoformat(), "days": 8}, headers=auth(patron)
    ).json
    assert [d["free"] for d in calendar["days"]] == [1] * 7 + [2]

    early = client.post(
        f"/v1/guides/manage/kit-reservations/{reservation['id']}/pickup", headers={**auth(world.librarian), **key()}
    )
    assert early.status_code == 422 and early.json["error"]["code"] == "too_early_to_pick_up"

    days_pass(db, reservation["id"], 3)
    response = client.post(
        f"/v1/guides/manage/kit-reservations/{reservation['id']}/pickup", headers={**auth(world.librarian), **key()}
    )
    assert response.status_code == 200, response.json
    assert response.json["state"] == "picked_up" and response.json["picked_up_at"]
    assert balance(db, patron) == 7_500
    assert_audit_clean(db)
    again = client.post(
        f"/v1/guides/manage/kit-reservations/{reservation['id']}/pickup", headers={**auth(world.librarian), **key()}
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "reservation_state"

    response = client.post(
        f"/v1/guides/manage/kit-reservations/{reservation['id']}/return", headers={**auth(world.librarian), **key()}
    )
    assert response.status_code == 200, response.json
    assert response.json["state"] == "returned" and response.json["late_fee_id"] is None
    assert balance(db, patron) == 9_500  # the deposit is back, the fee stays with the library
    assert_audit_clean(db)
    # Returned early: the days after today are free again.
    assert booked(db) == {day(0): 1}
    db.expire_all()
    kinds = [
        n.kind
        for n in db.scalars(select(Notification).where(Notification.patron_id == patron.id).order_by(Notification.id))
    ]
    db.commit()
    assert "kit_reserved" in kinds and kinds[-1] == "kit_returned"
    transactions = client.get("/v1/wallet/transactions", headers=auth(patron)).json["data"]
    assert [(t["kind"], t["direction"], t["amount"]["amount"]) for t in transactions[:2]] == [
        ("kit_deposit_refund", "in", 2000),
        ("kit_loan", "out", 2500),
    ]


def test_late_return_charges_an_overdue_fee_through_the_fees_domain(client, db):
    world = _world(db)
    kit = create_kit(client, world, late_fee_per_day=150)
    patron = world.patrons[0]
    reservation = reserve(client, patron, kit["id"], 1, 3, library=world.library).json
    days_pass(db, reservation["id"], 1)
    client.post(
        f"/v1/guides/manage/kit-reservations/{reservation['id']}/pickup", headers={**auth(world.librarian), **key()}
    )
    days_pass(db, reservation["id"], 4)  # due two days ago... plus the day it started: 2 days late
    response = client.post(
        f"/v1/guides/manage/kit-reservations/{reservation['id']}/return", headers={**auth(world.librarian), **key()}
    )
    assert response.status_code == 200, response.json
    fee_id = response.json["late_fee_id"]
    fees = client.get("/v1/fees", headers=auth(patron)).json["data"]
    assert [(f["id"], f["type"], f["status"], f["amount"]["amount"]) for f in fees] == [
        (fee_id, "overdue", "outstanding", 300)
    ]
    assert balance(db, patron) == 9_500  # the deposit came back; the fee is to be paid like any fee
    assert_audit_clean(db)


def test_a_clash_is_409_with_the_next_free_dates_and_nothing_changes(client, db):
    world = _world(db)
    kit = create_kit(client, world, units=1, loan_days=7)
    first, second = world.patrons
    assert reserve(client, first, kit["id"], 5, 8, library=world.library).status_code == 201
    before = (booked(db), reservation_count(db), _available(client, second))

    response = reserve(client, second, kit["id"], 7, 10, library=world.library)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "kit_unavailable"
    assert error["next_free_dates"][0] == {"start_date": day(9).isoformat(), "end_date": day(12).isoformat()}
    assert [d["start_date"] for d in error["next_free_dates"]] == [day(n).isoformat() for n in (9, 10, 11)]
    assert (booked(db), reservation_count(db), _available(client, second)) == before
    # Before it, a range that fits is fine.
    assert reserve(client, second, kit["id"], 1, 4, library=world.library).status_code == 201


def test_bad_reservations_are_4xx_and_change_nothing(client, db):
    world = _world(db, funds=1000)
    kit = create_kit(client, world, units=2, loan_days=7)
    patron = world.patrons[0]
    cases = [
        (dict(start=0, end=2), 422, "bad_dates"),  # today is too late
        (dict(start=4, end=2), 422, "bad_dates"),
        (dict(start=1, end=9), 422, "bad_dates"),  # longer than the loan period
        (dict(start=1, end=2, quantity=3), 422, "too_many_units"),
        (dict(start=1, end=2, library=world.other_library), 422, "pickup_outside_network"),
        (dict(start=1, end=2), 422, "insufficient_funds"),  # 25,00 € needed, 10,00 € in the wallet
    ]
    for args, status, code in cases:
        args.setdefault("library", world.library)
        response = reserve(client, patron, kit["id"], args.pop("start"), args.pop("end"), **args)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), args
    response = reserve(client, patron, kit["id"], 1, 2, library=world.library, headers={})
    assert response.status_code == 400 and response.json["error"]["code"] == "idempotency_key_missing"
    response = client.post(
        f"/v1/guides/kits/{kit['id']}/reservations", json={"start_date": "tomorrow"}, headers={**auth(patron), **key()}
    )
    assert response.status_code == 400
    assert reservation_count(db) == 0 and booked(db) == {}
    assert balance(db, patron) == 1000
    assert_audit_clean(db)


def test_cancel_frees_the_days_and_releases_the_hold(client, db):
    world = _world(db)
    kit = create_kit(client, world, units=1)
    patron, other = world.patrons
    reservation = reserve(client, patron, kit["id"], 2, 4, library=world.library).json
    # Another patron can neither see nor cancel it.
    assert client.get(f"/v1/guides/kit-reservations/{reservation['id']}", headers=auth(other)).status_code == 404
    response = client.post(f"/v1/guides/kit-reservations/{reservation['id']}/cancel", headers={**auth(other), **key()})
    assert response.status_code == 404
    assert client.get("/v1/guides/kit-reservations", headers=auth(other)).json["data"] == []

    response = client.post(f"/v1/guides/kit-reservations/{reservation['id']}/cancel", headers={**auth(patron), **key()})
    assert response.status_code == 200 and response.json["state"] == "cancelled"
    assert booked(db) == {}
    assert _available(client, patron)["available"]["amount"] == 10_000
    again = client.post(f"/v1/guides/kit-reservations/{reservation['id']}/cancel", headers={**auth(patron), **key()})
    assert again.status_code == 409
    assert reserve(client, other, kit["id"], 2, 4, library=world.library).status_code == 201
    assert_audit_clean(db)


def test_staff_of_another_network_cannot_touch_a_reservation(client, db):
    world = _world(db)
    kit = create_kit(client, world)
    reservation = reserve(client, world.patrons[0], kit["id"], 1, 2, library=world.library).json
    days_pass(db, reservation["id"], 1)
    outsider = world.other_librarian
    for action in ("pickup", "return"):
        response = client.post(
            f"/v1/guides/manage/kit-reservations/{reservation['id']}/{action}", headers={**auth(outsider), **key()}
        )
        assert response.status_code == 404
    assert client.get("/v1/guides/manage/kit-reservations", headers=auth(outsider)).json["data"] == []
    response = client.patch(f"/v1/guides/manage/kits/{kit['id']}", json={"units": 5}, headers=auth(outsider))
    assert response.status_code == 404
    db.expire_all()
    assert db.scalar(select(KitReservation.state).where(KitReservation.public_id == reservation["id"])) == "reserved"
    db.commit()
    listed = client.get("/v1/guides/manage/kit-reservations", headers=auth(world.librarian)).json["data"]
    assert [r["id"] for r in listed] == [reservation["id"]] and listed[0]["patron"]["card_number"]


def test_units_cannot_drop_below_a_booked_day(client, db):
    world = _world(db)
    kit = create_kit(client, world, units=2)
    reserve(client, world.patrons[0], kit["id"], 1, 2, library=world.library)
    reserve(client, world.patrons[1], kit["id"], 2, 3, library=world.library)
    response = client.patch(f"/v1/guides/manage/kits/{kit['id']}", json={"units": 1}, headers=auth(world.librarian))
    assert response.status_code == 409 and response.json["error"]["code"] == "units_below_booked"
    response = client.patch(f"/v1/guides/manage/kits/{kit['id']}", json={"units": 3}, headers=auth(world.librarian))
    assert response.status_code == 200 and response.json["units"] == 3
    assert reserve(client, world.patrons[0], kit["id"], 2, 2, library=world.library).status_code == 201


def test_reminders_before_pick_up_and_return_once_each_and_no_shows_released(app, client, db):
    world = _world(db)
    kit = create_kit(client, world, units=1)
    patron, other = world.patrons
    tomorrow = reserve(client, patron, kit["id"], 1, 2, library=world.library).json
    forgotten = reserve(client, other, kit["id"], 4, 5, library=world.library).json
    days_pass(db, forgotten["id"], 6)  # started two days ago, never picked up
    with app.app_context():
        for _ in range(2):
            result = app.extensions["borsellino.db"].run_in_transaction(lambda s: send_kit_reminders(s))
    assert result == {"reminders": 0, "no_shows": 0}
    db.expire_all()
    notes = [n.kind for n in db.scalars(select(Notification).where(Notification.kind.like("kit_%_reminder")))]
    states = {r.public_id: r.state for r in db.scalars(select(KitReservation))}
    db.commit()
    assert notes == ["kit_pickup_reminder"]
    assert states == {tomorrow["id"]: "reserved", forgotten["id"]: "no_show"}
    assert _available(client, other)["available"]["amount"] == 10_000
    assert_audit_clean(db)


def test_reservations_list_pages_newest_first(client, db):
    world = _world(db, funds=50_000)
    kit = create_kit(client, world, units=5)
    patron = world.patrons[0]
    made = [reserve(client, patron, kit["id"], n, n, library=world.library).json["id"] for n in (1, 2, 3)]
    page = client.get("/v1/guides/kit-reservations", query_string={"limit": 2}, headers=auth(patron)).json
    rest = client.get(
        "/v1/guides/kit-reservations",
        query_string={"limit": 2, "starting_after": page["next_cursor"]},
        headers=auth(patron),
    ).json
    assert [r["id"] for r in page["data"] + rest["data"]] == made[::-1]


def test_a_kit_cannot_be_switched_off_by_a_number_in_place_of_false(client, db):
    # Found by the fuzzed contract: marshmallow's Boolean took 0 for false.
    world = _world(db)
    kit = create_kit(client, world)
    response = client.patch(f"/v1/guides/manage/kits/{kit['id']}", json={"active": 0}, headers=auth(world.librarian))
    assert response.status_code == 400 and response.json["error"]["param"] == "active"
    db.expire_all()
    assert db.scalar(select(Kit.active).where(Kit.public_id == kit["id"])) is True
