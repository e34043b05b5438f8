"""The monthly statement: by offer and venue, discounts, reimbursements, wallet payments, net due; CSV and PDF."""

from __future__ import annotations

import uuid

from backend.db import utcnow
from backend.i18n import ROME
from tests.partners.helpers import Phone, make_offer, make_world, post_redemption, redeem_body
from tests.support.factories import bearer
from tests.support.ledger import fund_wallet


def test_statement_json_csv_pdf(client, db, app_ctx):
    world = make_world(db, wallet_payments=True)
    cinema = make_offer(db, world, title_it="Cinema ridotto", title_en="Reduced cinema")
    museum = make_offer(
        db,
        world,
        title_it="Museo gratis",
        title_en="Free museum",
        venues=[world.theatre],
        category="museum",
        benefit_kind="free_entry",
        bearer="network",
        reimbursement_rule="percent",
        reimbursement_value=50,
    )
    patron = world.patrons[0]
    fund_wallet(db, patron, 3000)
    db.commit()
    phone = Phone()
    phone.sync(client, patron)
    assert post_redemption(client, world, redeem_body(world, cinema, phone.code(), price=1000)).status_code == 201
    assert (
        post_redemption(
            client, world, redeem_body(world, museum, phone.code(), price=1200, venue=world.theatre)
        ).status_code
        == 201
    )
    payment = client.post(
        "/v1/partners/till-payments",
        headers={**bearer(world.till), "Idempotency-Key": "k1"},
        json={"code": phone.code(), "venue_id": world.cinema.public_id, "amount": {"amount": 800, "currency": "EUR"}},
    ).get_json()
    cid = client.get("/v1/confirmations", headers=bearer(patron)).get_json()[0]["id"]
    assert (
        client.post(
            f"/v1/confirmations/{cid}/confirm", headers={**bearer(patron), "Idempotency-Key": str(uuid.uuid4())}
        ).status_code
        == 200
    )
    assert payment["state"] == "pending"

    now = utcnow().astimezone(ROME)
    url = f"/v1/partners/statements/{now.year}/{now.month}"
    statement = client.get(url, headers=bearer(world.till)).get_json()
    lines = {line["offer_id"]: line for line in statement["lines"]}
    assert lines[cinema.public_id]["discounts"]["amount"] == 200
    assert lines[museum.public_id]["reimbursements"]["amount"] == 600
    assert lines[museum.public_id]["venue_id"] == world.theatre.public_id
    assert statement["payments"]["amount"] == 800 and statement["refunds"]["amount"] == 0
    assert statement["net_due"]["amount"] == 1400

    csv_it = client.get(url + "?format=csv&lang=it", headers=bearer(world.till))
    assert csv_it.status_code == 200 and csv_it.mimetype == "text/csv"
    text = csv_it.get_data(as_text=True)
    assert "Museo gratis" in text and "Netto dovuto al partner;14.00" in text
    csv_en = client.get(url + "?format=csv&lang=en", headers=bearer(world.till)).get_data(as_text=True)
    assert "Free museum" in csv_en and "Net due to the partner,14.00" in csv_en
    pdf = client.get(url + "?format=pdf", headers=bearer(world.till))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # the network's finance reads the same statement
    managed = client.get(
        f"/v1/partners/partners/{world.partner.public_id}/statements/{now.year}/{now.month}",
        headers=bearer(world.finance),
    ).get_json()
    assert managed["net_due"] == statement["net_due"]
    # a month in the future or nonsense is a 404
    assert client.get(f"/v1/partners/statements/{now.year + 1}/1", headers=bearer(world.till)).status_code == 404
    assert client.get(f"/v1/partners/statements/{now.year}/13", headers=bearer(world.till)).status_code == 404
