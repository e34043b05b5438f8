"""The partner staff's console pages: scan → large result → today's uses → statement; scope; forms used once."""

from __future__ import annotations

import json
import re

from backend.auth.passwords import hash_secret
from backend.db import utcnow
from backend.i18n import ROME
from tests.partners.helpers import Phone, assert_audit_clean, make_offer, make_partner, make_world, redemption_count
from tests.support.factories import make_staff


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _form_key(html):
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def _sign_in(client, db, staff):
    staff.password_hash = hash_secret("till pass")
    db.commit()
    response = client.post(
        "/console/login",
        data={"email": staff.email, "password": "till pass", "csrf_token": _csrf(client, "/console/login")},
    )
    assert response.status_code == 302


def _sign_in_as_another_partner(client, db, world):
    partner_b, _, _ = make_partner(db, world.network, "Teatro B")
    till_b = make_staff(db, "partner", world.network)
    till_b.partner = partner_b
    db.commit()
    _sign_in(client, db, till_b)


def _scan(client, world, offer, code, price="10,00", key=None):
    page = client.get("/console/partners/scan").get_data(as_text=True)
    return client.post(
        "/console/partners/scan",
        data={
            "csrf_token": _csrf(client, "/console/partners/scan"),
            "form_key": key or _form_key(page),
            "venue_id": world.cinema.public_id,
            "offer_id": offer.public_id,
            "list_price": price,
            "quantity": "1",
            "code": code,
        },
    )


def test_scan_result_today_and_statement(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_day=1, title_it="Ridotto cinema")
    phone = Phone()
    phone.sync(client, world.patrons[0])
    _sign_in(client, db, world.till)

    page = client.get("/console/partners/scan")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ridotto cinema" in html and world.cinema.name in html
    assert "jsQR-1.4.0.js" in html
    assert client.get("/console/partners/static/jsQR-1.4.0.js").status_code == 200
    worker = client.get("/console/partners/till-sw.js")  # its scope must cover the scan page
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"

    accepted = _scan(client, world, offer, phone.code(), price="8,50")
    html = accepted.get_data(as_text=True)
    assert accepted.status_code == 201 and "ACCETTATO" in html
    assert "Chiedi 6,80" in html and world.patrons[0].first_name in html
    assert world.patrons[0].last_name not in html

    refused = _scan(client, world, offer, phone.code())
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "RIFIUTATO" in html and "Limite di utilizzi raggiunto" in html
    assert redemption_count(db) == 1

    today = client.get("/console/partners/today").get_data(as_text=True)
    assert "1 utilizzi" in today and "Ridotto cinema" in today and "1,70" in today
    now = utcnow().astimezone(ROME)
    statement = client.get(f"/console/partners/statement?year={now.year}&month={now.month}").get_data(as_text=True)
    assert "Ridotto cinema" in statement and "1,70" in statement
    pdf = client.get(f"/console/partners/statement.pdf?year={now.year}&month={now.month}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    csv = client.get(f"/console/partners/statement.csv?year={now.year}&month={now.month}")
    assert csv.status_code == 200 and "Ridotto cinema" in csv.get_data(as_text=True)


def test_the_same_form_sent_twice_validates_once_and_bad_prices_change_nothing(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_day=3)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    _sign_in(client, db, world.till)
    key = _form_key(client.get("/console/partners/scan").get_data(as_text=True))
    assert _scan(client, world, offer, phone.code(), key=key).status_code == 201
    again = _scan(client, world, offer, phone.code(), key=key)
    assert again.status_code == 302 and "notice=replayed" in again.headers["Location"]
    assert redemption_count(db) == 1
    for price in ("-1", "abc", "99999999", ""):
        response = _scan(client, world, offer, phone.code(), price=price)
        assert response.status_code == 400 and "Importo non valido" in response.get_data(as_text=True)
    assert redemption_count(db) == 1


def test_another_partners_offer_or_venue_is_not_found(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    _sign_in_as_another_partner(client, db, world)
    assert "Ridotto" not in client.get("/console/partners/scan").get_data(as_text=True)
    response = _scan(client, world, offer, phone.code())
    assert response.status_code == 404 and "RIFIUTATO" in response.get_data(as_text=True)
    assert redemption_count(db) == 0
    assert world.patrons[0].first_name not in client.get("/console/partners/today").get_data(as_text=True)


def _upload(client, scans, csrf=None):
    return client.post(
        "/console/partners/offline/upload",
        data={"csrf_token": csrf or _csrf(client, "/console/partners/scan"), "scans": json.dumps(scans)},
    )


def _offline_scan(world, offer, code, scan_id, venue=None):
    return {
        "scan_id": scan_id,
        "code": code,
        "venue_id": (venue or world.cinema).public_id,
        "offer_id": offer.public_id,
        "list_price": {"amount": 850, "currency": "EUR"},
        "quantity": 1,
        "scanned_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_the_offline_sync_gives_keys_revocations_and_offers_and_no_patron(client, db):
    world = make_world(db)
    offer = make_offer(db, world, title_it="Ridotto cinema")
    phone = Phone()
    phone.sync(client, world.patrons[0])
    _sign_in(client, db, world.till)
    synced = client.get("/console/partners/offline/sync")
    assert synced.status_code == 200 and synced.is_json
    body = synced.get_json()
    assert body["jwks"] == client.get("/v1/partners/keys").get_json()
    assert set(body["revoked"]) == {"passes", "offers", "agreements"}
    assert [o["id"] for o in body["offers"]] == [offer.public_id]
    assert world.cinema.public_id in body["offers"][0]["venues"]
    assert world.patrons[0].first_name not in synced.get_data(as_text=True)
    assert body["synced_at"].endswith("Z")


def test_an_offline_upload_records_once_and_bad_batches_change_nothing(client, db):
    world = make_world(db)
    offer = make_offer(db, world, per_patron_day=1)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    _sign_in(client, db, world.till)
    code = phone.code()
    # Not JSON, an empty batch, a scan without its id, a negative price: 400, nothing recorded.
    csrf = _csrf(client, "/console/partners/scan")
    for scans in ("not json", [], [{**_offline_scan(world, offer, code, "s1"), "scan_id": ""}]):
        response = client.post(
            "/console/partners/offline/upload",
            data={"csrf_token": csrf, "scans": scans if isinstance(scans, str) else json.dumps(scans)},
        )
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "validation_error"
    negative = {**_offline_scan(world, offer, code, "s1"), "list_price": {"amount": -850, "currency": "EUR"}}
    assert _upload(client, [negative], csrf).status_code == 400
    assert redemption_count(db) == 0

    batch = [_offline_scan(world, offer, code, "s1"), _offline_scan(world, offer, code, "s2")]
    answer = _upload(client, batch, csrf)
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert [(r["scan_id"], r["outcome"]) for r in results] == [("s1", "accepted"), ("s2", "flagged")]
    assert results[1]["message"] == "limite di utilizzi superato"
    assert redemption_count(db) == 2
    again = _upload(client, batch, csrf).get_json()["results"]
    assert [r["outcome"] for r in again] == ["already_recorded", "already_recorded"]
    assert redemption_count(db) == 2
    assert_audit_clean(db)


def test_another_partners_till_cannot_upload_onto_our_venue(client, db):
    world = make_world(db)
    offer = make_offer(db, world)
    phone = Phone()
    phone.sync(client, world.patrons[0])
    _sign_in_as_another_partner(client, db, world)
    assert client.get("/console/partners/offline/sync").get_json()["offers"] == []
    results = _upload(client, [_offline_scan(world, offer, phone.code(), "b1")]).get_json()["results"]
    assert results[0]["outcome"] == "refused"
    assert redemption_count(db) == 0
