"""The demo shop: every library sells printing credit, a tote bag and two used books, and has a room."""

import uuid
from datetime import datetime, time, timedelta

from backend.db import utcnow
from backend.demo import seed
from backend.i18n import ROME


def test_every_demo_library_has_its_shop_and_giulia_can_use_it(client, db, app_ctx):
    from backend.web.database import db as database

    database.run_in_transaction(lambda session: seed(session, app_ctx.config["SETTINGS"]))
    token = client.post("/v1/auth/patron/card", json={"card_number": "CSBNO0000001", "pin": "1234"}).get_json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    libraries = client.get("/v1/shop/libraries", headers=auth).get_json()
    assert len(libraries) == 4
    for library in libraries:
        assert {"printing", "merchandise", "used_books", "room"} <= set(library["categories"])
        items = client.get(f"/v1/shop/libraries/{library['id']}/items?limit=100", headers=auth).get_json()["data"]
        categories = sorted(item["category"] for item in items)
        assert categories == ["merchandise", "printing", "used_books", "used_books"]
        assert len(client.get(f"/v1/shop/libraries/{library['id']}/rooms", headers=auth).get_json()) == 1

    rho = libraries[0]
    items = client.get(f"/v1/shop/libraries/{rho['id']}/items?category=printing", headers=auth).get_json()["data"]
    bought = client.post(
        "/v1/shop/orders",
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        json={"library_id": rho["id"], "lines": [{"item_id": items[0]["id"], "quantity": 1}]},
    )
    assert bought.status_code == 201, bought.get_json()
    assert client.get("/v1/shop/printing-credit", headers=auth).get_json()[0]["balance"]["amount"] == 500

    room = client.get(f"/v1/shop/libraries/{rho['id']}/rooms", headers=auth).get_json()[0]
    day = (utcnow().astimezone(ROME) + timedelta(days=7)).date()
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    booked = client.post(
        f"/v1/shop/rooms/{room['id']}/bookings",
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        json={
            "starts_at": datetime.combine(day, time(15), tzinfo=ROME).isoformat(),
            "ends_at": datetime.combine(day, time(17), tzinfo=ROME).isoformat(),
        },
    )
    assert booked.status_code == 201, booked.get_json()
