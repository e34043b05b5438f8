"""The README's sandbox top-up walk-through, on freshly seeded demo data, ends at the balance the README states."""

import re
import uuid
from pathlib import Path

from backend.demo import seed

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_readme_top_up_walk_through_states_the_balance_it_reaches(client, db, app_ctx):
    from backend.web.database import db as database

    database.run_in_transaction(lambda session: seed(session, app_ctx.config["SETTINGS"]))
    token = client.post("/v1/auth/patron/card", json={"card_number": "CSBNO0000001", "pin": "1234"}).get_json()[
        "access_token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    topup = client.post(
        "/v1/wallet/topups",
        json={"amount": {"amount": 2000, "currency": "EUR"}},
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
    ).get_json()["topup"]["id"]
    paid = client.post(
        f"/v1/wallet/topups/{topup}/sandbox-payment", json={}, headers={**auth, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert paid.status_code == 200 and paid.get_json()["status"] == "succeeded", paid.get_json()
    balance = client.get("/v1/wallet", headers=auth).get_json()["balance"]["amount"]
    [stated] = re.findall(r"# balance (\d+),(\d\d) €", README)
    assert balance == int(stated[0]) * 100 + int(stated[1]), (
        f"the demo seed changed Giulia's balance: the README's top-up walk-through should say {balance / 100:.2f} €"
    )
    assert "$(uuidgen)" not in README
