"""At the till: the benefit and price, or a precise refusal; every limit kind; reimbursements audited."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select

from backend.db import utcnow
from backend.i18n import ROME
from backend.ledger.models import JournalEntry
from backend.partners import eligibility
from backend.partners.eligibility import allowance, period_bounds
from backend.partners.models import Agreement, Offer, Redemption
from tests.partners.helpers import (
    Phone,
    assert_audit_clean,
    make_offer,
    make_partner,
    make_world,
    post_redemption,
    redeem_body,
    redemption_count,
)
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff


def _phone(client, patron) -> Phone:
    phone = Phone()
    phone.sync(client, patron)
    return phone


def test_accepted_with_the_benefit_and_the_price_to_ask(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_day=2)
    phone = _phone(client, world.patrons[0])
    response = post_redemption(client, world, redeem_body(world, offer, phone.code(), price=850, quantity=1))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["outcome"] == "accepted"
    assert body["redemption"]["discount"] == {"amount": 170, "currency": "EUR"}
    assert body["redemption"]["price_to_pay"] == {"amount": 680, "currency": "EUR"}
    assert body["redemption"]["state"] == "accepted"
    assert body["holder"]["first_name"] == world.patrons[0].first_name
    assert body["allowance"]["uses_left"] == 1 and body["allowance"]["period"] == "day"
    assert body["redemption"]["scanned_at"].endswith("Z")


def test_each_benefit_kind_prices_right(db, app):
    from backend.partners.redeem import price

    def offer(kind, value=0, **extra):
        return Offer(
            benefit_kind=kind,
            benefit_value=value,
            bearer=extra.get("bearer", "partner"),
            reimbursement_rule=extra.get("rule"),
            reimbursement_value=extra.get("rv", 0),
        )

    assert price(offer("percent_off", 25), 1000, 2) == (500, 1500, 0)
    assert price(offer("amount_off", 300), 1000, 2) == (600, 1400, 0)
    assert price(offer("amount_off", 3000), 1000, 1) == (1000, 0, 0)
    assert price(offer("fixed_price", 600), 1000, 3) == (1200, 1800, 0)
    assert price(offer("free_entry"), 1200, 1) == (1200, 0, 0)
    assert price(offer("two_for_one"), 900, 2) == (900, 900, 0)
    assert price(offer("free_entry", bearer="network", rule="percent", rv=50), 1200, 1) == (1200, 0, 600)
    assert price(offer("percent_off", 10, bearer="network", rule="fixed", rv=500), 1000, 1) == (100, 900, 100)


def test_per_patron_day_limit_says_when_it_resets(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_day=1)
    phone = _phone(client, world.patrons[0])
    assert post_redemption(client, world, redeem_body(world, offer, phone.code())).status_code == 201
    response = post_redemption(client, world, redeem_body(world, offer, phone.code()))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "limit_reached" and error["period"] == "day"
    tomorrow = utcnow().astimezone(ROME).date() + timedelta(days=1)
    assert error["resets_at"] == datetime.combine(tomorrow, datetime.min.time(), ROME).astimezone(tz=None).astimezone(
        __import__("datetime").timezone.utc
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert redemption_count(db) == 1
    # another patron still has their own use
    other = _phone(client, world.patrons[1])
    assert post_redemption(client, world, redeem_body(world, offer, other.code())).status_code == 201


def test_per_patron_total_and_per_offer_total_limits(client, db):
    world = make_world(db, patrons=3)
    per_patron = make_offer(db, world, per_patron_total=1)
    phones = [_phone(client, p) for p in world.patrons]
    assert post_redemption(client, world, redeem_body(world, per_patron, phones[0].code())).status_code == 201
    refused = post_redemption(client, world, redeem_body(world, per_patron, phones[0].code())).get_json()["error"]
    assert (refused["code"], refused["period"], refused["resets_at"]) == ("limit_reached", "total", None)

    whole_offer = make_offer(db, world, total_limit=2)
    for phone in phones[:2]:
        assert post_redemption(client, world, redeem_body(world, whole_offer, phone.code())).status_code == 201
    refused = post_redemption(client, world, redeem_body(world, whole_offer, phones[2].code())).get_json()["error"]
    assert (refused["code"], refused["period"]) == ("limit_reached", "offer")
    db.rollback()
    db.expire_all()
    assert db.get(Offer, whole_offer.id).used == 2


def test_week_and_month_windows_and_the_tightest_limit(db, app):
    offer = Offer(per_patron_day=3, per_patron_week=2, per_patron_month=5, total_limit=None, used=0)
    at = datetime(2026, 12, 2, 10, 0, tzinfo=ROME)  # a Wednesday
    start, end = period_bounds("week", at)
    assert start.astimezone(ROME).date() == date(2026, 11, 30) and end.astimezone(ROME).date() == date(2026, 12, 7)
    start, end = period_bounds("month", at)
    assert start.astimezone(ROME).date() == date(2026, 12, 1) and end.astimezone(ROME).date() == date(2027, 1, 1)
    room = allowance(offer, {"day": 1, "week": 2, "month": 2}, at)
    assert (room.uses_left, room.period) == (0, "week")
    assert room.resets_at.astimezone(ROME).date() == date(2026, 12, 7)
    room = allowance(offer, {"day": 0, "week": 0, "month": 4}, at)
    assert (room.uses_left, room.period) == (1, "month")


def test_week_limit_counts_earlier_days_of_the_week(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_week=1)
    phone = _phone(client, world.patrons[0])
    assert post_redemption(client, world, redeem_body(world, offer, phone.code())).status_code == 201
    refused = post_redemption(client, world, redeem_body(world, offer, phone.code())).get_json()["error"]
    assert (refused["code"], refused["period"]) == ("limit_reached", "week")


def test_outside_days_and_hours(client, db):
    world = make_world(db)
    today = utcnow().astimezone(ROME)
    other_days = [d for d in range(1, 8) if d != today.isoweekday()]
    wrong_day = make_offer(db, world, weekdays=other_days)
    phone = _phone(client, world.patrons[0])
    error = post_redemption(client, world, redeem_body(world, wrong_day, phone.code())).get_json()["error"]
    assert error["code"] == "outside_hours"
    if today.strftime("%H:%M") > "00:01":
        earlier = make_offer(db, world, time_from="00:00", time_to=today.strftime("%H:%M"))
        error = post_redemption(client, world, redeem_body(world, earlier, phone.code())).get_json()["error"]
        assert error["code"] == "outside_hours"
    expired = make_offer(
        db, world, valid_from=today.date() - timedelta(days=10), valid_to=today.date() - timedelta(days=1)
    )
    error = post_redemption(client, world, redeem_body(world, expired, phone.code())).get_json()["error"]
    assert (error["code"], error["reason"]) == ("offer_not_valid", "dates")
    assert redemption_count(db) == 0


def test_eligibility_network_library_age_and_supporter_card(client, db):
    world = make_world(db)
    stranger_network = make_network(db)
    stranger = make_patron(db, stranger_network)
    young = make_patron(db, world.network, world.library)
    young.birth_date = date(2015, 1, 1)
    other_library = make_library(db, world.network)
    db.commit()
    phones = {
        name: _phone(client, p) for name, p in (("stranger", stranger), ("young", young), ("adult", world.patrons[0]))
    }
    open_offer = make_offer(db, world)
    error = post_redemption(client, world, redeem_body(world, open_offer, phones["stranger"].code())).get_json()[
        "error"
    ]
    assert (error["code"], error["reason"]) == ("not_eligible", "network")

    kids = make_offer(db, world, age_bands=["under_14"])
    assert post_redemption(client, world, redeem_body(world, kids, phones["young"].code())).status_code == 201
    error = post_redemption(client, world, redeem_body(world, kids, phones["adult"].code())).get_json()["error"]
    assert (error["code"], error["reason"]) == ("not_eligible", "age_band")

    branch_only = make_offer(db, world, library_ids=[other_library.public_id])
    error = post_redemption(client, world, redeem_body(world, branch_only, phones["adult"].code())).get_json()["error"]
    assert (error["code"], error["reason"]) == ("not_eligible", "home_library")

    supporters = make_offer(db, world, requires_supporter_card=True)
    error = post_redemption(client, world, redeem_body(world, supporters, phones["adult"].code())).get_json()["error"]
    assert (error["code"], error["reason"]) == ("not_eligible", "supporter_card")
    holder_id = world.patrons[0].id

    def card_check(session, patron_id, network_id, at):
        return patron_id == holder_id and network_id == world.network.id

    eligibility.register_supporter_card_check(card_check)
    try:
        assert post_redemption(client, world, redeem_body(world, supporters, phones["adult"].code())).status_code == 201
    finally:
        eligibility._supporter_card_checks.remove(card_check)


def test_wrong_venue_and_another_partners_venue_or_offer(client, db):
    world = make_world(db)
    offer = make_offer(db, world)  # cinema only
    phone = _phone(client, world.patrons[0])
    error = post_redemption(client, world, redeem_body(world, offer, phone.code(), venue=world.theatre)).get_json()[
        "error"
    ]
    assert error["code"] == "wrong_venue"
    _, their_cinema, _ = make_partner(db, world.network, "Altro Cinema")
    db.commit()
    response = post_redemption(client, world, redeem_body(world, offer, phone.code(), venue=their_cinema))
    assert response.status_code == 404
    response = post_redemption(client, world, {**redeem_body(world, offer, phone.code()), "offer_id": "ofr_unknown"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert redemption_count(db) == 0


def test_bad_input_is_a_clear_4xx_and_changes_nothing(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = _phone(client, world.patrons[0])
    code = phone.code()
    for bad in (
        {"list_price": {"amount": -100, "currency": "EUR"}},
        {"list_price": {"amount": 10**12, "currency": "EUR"}},
        {"list_price": {"amount": "12", "currency": "EUR"}},
        {"list_price": {"amount": 100, "currency": "USD"}},
        {"quantity": 0},
        {"quantity": 500},
    ):
        response = post_redemption(client, world, {**redeem_body(world, offer, code), **bad})
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["type"] == "invalid_request_error"
    response = post_redemption(client, world, redeem_body(world, offer, code, quantity=2))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "quantity_invalid"
    assert redemption_count(db) == 0


def test_network_reimbursement_is_booked_in_the_same_transaction_and_capped_by_the_budget(client, db):
    world = make_world(db, budget_cap=700)
    museum = make_offer(
        db, world, benefit_kind="free_entry", bearer="network", reimbursement_rule="fixed", reimbursement_value=500
    )
    phones = [_phone(client, p) for p in world.patrons]
    first = post_redemption(client, world, redeem_body(world, museum, phones[0].code(), price=1200))
    assert first.status_code == 201
    assert first.get_json()["redemption"]["reimbursement"]["amount"] == 500
    refused = post_redemption(client, world, redeem_body(world, museum, phones[1].code(), price=1200))
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "budget_exhausted"
    db.rollback()
    db.expire_all()
    assert db.get(Agreement, world.agreement.id).reimbursed == 500
    redemption = db.scalar(select(Redemption))
    entry = db.get(JournalEntry, redemption.reimbursement_entry_id)
    assert entry.kind == "partner_reimbursement" and entry.reference == redemption.public_id
    kinds = sorted((p.account.kind, p.amount) for p in entry.postings)
    assert kinds == [("partner_payable", -500), ("partner_reimbursements", 500)]
    assert redemption_count(db) == 1
    assert_audit_clean(db)


def test_revoked_offer_or_agreement_refused_at_once(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = _phone(client, world.patrons[0])
    response = client.post(f"/v1/partners/offers/{offer.public_id}/revoke", headers=bearer(world.admin))
    assert response.status_code == 200 and response.get_json()["state"] == "revoked"
    error = post_redemption(client, world, redeem_body(world, offer, phone.code())).get_json()["error"]
    assert (error["code"], error["reason"]) == ("offer_not_valid", "revoked")
    listed = client.get("/v1/partners/revocations", headers=bearer(world.till)).get_json()
    assert offer.public_id in listed["offers"]
    second = make_offer(db, world)
    assert (
        client.post(
            f"/v1/partners/agreements/{world.agreement.public_id}/revoke", headers=bearer(world.admin)
        ).status_code
        == 200
    )
    error = post_redemption(client, world, redeem_body(world, second, phone.code())).get_json()["error"]
    assert error["code"] == "offer_not_valid"
    assert (
        world.agreement.public_id
        in client.get("/v1/partners/revocations", headers=bearer(world.till)).get_json()["agreements"]
    )
    assert client.post(f"/v1/partners/offers/{offer.public_id}/revoke", headers=bearer(world.admin)).status_code == 422


def test_idempotent_online_validation(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_day=5)
    phone = _phone(client, world.patrons[0])
    headers = {**bearer(world.till), "Idempotency-Key": str(uuid.uuid4())}
    body = redeem_body(world, offer, phone.code())
    first = client.post("/v1/partners/redemptions", json=body, headers=headers)
    again = client.post("/v1/partners/redemptions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert redemption_count(db) == 1


def test_bola_partners_and_patrons_see_only_their_own(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = _phone(client, world.patrons[0])
    assert post_redemption(client, world, redeem_body(world, offer, phone.code())).status_code == 201
    partner_b, _, _ = make_partner(db, world.network, "Teatro B")
    till_b = make_staff(db, "partner", world.network)
    till_b.partner = partner_b
    db.commit()
    mine = client.get("/v1/partners/redemptions", headers=bearer(world.till)).get_json()
    theirs = client.get("/v1/partners/redemptions", headers=bearer(till_b)).get_json()
    assert len(mine["data"]) == 1 and theirs["data"] == []
    month = utcnow().astimezone(ROME)
    statement_b = client.get(f"/v1/partners/statements/{month.year}/{month.month}", headers=bearer(till_b)).get_json()
    assert statement_b["lines"] == [] and statement_b["partner_id"] == partner_b.public_id
    # another partner's offer is unknown to this till, as are its agreements
    response = post_redemption(client, world, redeem_body(world, offer, phone.code()), staff=till_b)
    assert response.status_code == 404
    assert client.get("/v1/partners/agreements", headers=bearer(till_b)).get_json() == []
    # patrons
    assert len(client.get("/v1/partners/redemptions/mine", headers=bearer(world.patrons[0])).get_json()["data"]) == 1
    assert client.get("/v1/partners/redemptions/mine", headers=bearer(world.patrons[1])).get_json()["data"] == []
    # another network's finance can't read or approve
    other_finance = make_staff(db, "finance", make_network(db))
    db.commit()
    red_id = mine["data"][0]["id"]
    assert client.post(f"/v1/partners/redemptions/{red_id}/approve", headers=bearer(other_finance)).status_code == 404
    assert (
        client.get(
            f"/v1/partners/partners/{world.partner.public_id}/statements/{month.year}/{month.month}",
            headers=bearer(other_finance),
        ).status_code
        == 404
    )


def test_patron_offers_say_eligibility_uses_left_and_savings(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_month=2, title_it="Cinema ridotto", title_en="Cinema reduced")
    make_offer(db, world, category="theatre", venues=[world.theatre], age_bands=["65_plus"])
    patron = world.patrons[0]
    phone = _phone(client, patron)
    assert post_redemption(client, world, redeem_body(world, offer, phone.code(), price=1000)).status_code == 201
    listed = client.get("/v1/partners/offers?category=cinema", headers=bearer(patron)).get_json()
    assert [item["offer"]["id"] for item in listed["data"]] == [offer.public_id]
    item = listed["data"][0]
    assert item["eligible"] is True and item["allowance"]["uses_left"] == 1 and item["allowance"]["period"] == "month"
    assert item["allowance"]["resets_at"].endswith("Z")
    theatre = client.get("/v1/partners/offers?category=theatre", headers=bearer(patron)).get_json()["data"][0]
    assert theatre["eligible"] is False and theatre["ineligible_reason"] == "age_band"
    near = client.get("/v1/partners/offers?lat=45.53&lon=9.04&radius_km=2", headers=bearer(patron)).get_json()
    assert len(near["data"]) == 2
    far = client.get("/v1/partners/offers?lat=41.9&lon=12.5&radius_km=5", headers=bearer(patron)).get_json()
    assert far["data"] == []
    assert [
        i["offer"]["id"] for i in client.get("/v1/partners/offers?q=ridotto", headers=bearer(patron)).get_json()["data"]
    ] == [offer.public_id]
    by_venue = client.get(f"/v1/partners/offers?venue_id={world.theatre.public_id}", headers=bearer(patron)).get_json()
    assert len(by_venue["data"]) == 1
    mine = client.get("/v1/partners/redemptions/mine", headers=bearer(patron)).get_json()
    assert mine["total_savings"] == {"amount": 200, "currency": "EUR"}
