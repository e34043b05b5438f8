"""Logs: one JSON-ready record per request with its request id; never a PIN, a password or a token."""
# The PIN is 8 digits so that no random hex id in the logs can contain it by chance.

import logging

from tests.accounts_helpers import card_sign_in
from tests.support.factories import make_library, make_network, make_patron


def _everything_logged(records) -> str:
    return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in records)


def test_request_log_has_request_id_and_no_secrets(client, db, caplog):
    network = make_network(db)
    make_patron(db, network, make_library(db, network), pin="86420975", card="LOGS0001")
    db.commit()
    with caplog.at_level(logging.INFO):
        tokens = card_sign_in(client, "LOGS0001", "86420975").get_json()
        me = client.get(
            "/v1/me?access_token=leak-this-secret",
            headers={"Authorization": f"Bearer {tokens['access_token']}", "X-Request-Id": "req-logs-1"},
        )
    assert me.status_code == 200
    logged = _everything_logged(caplog.records)
    for secret in ("86420975", tokens["access_token"], tokens["refresh_token"], "leak-this-secret"):
        assert secret not in logged
    [line] = [r for r in caplog.records if r.name == "backend.request" and r.request_id == "req-logs-1"]
    assert (line.method, line.path, line.status) == ("GET", "/v1/me", 200)
