"""Logs: one JSON-ready record per request with its request id; never a PIN, a password or a token."""
# The PIN is 8 digits so that no random hex id in the logs can contain it by chance.

import io
import logging

import pytest

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


@pytest.fixture
def app_log(app):
    """What the app's own log handler writes (JSON lines), scrubbing included."""
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_borsellino", False)]
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


def test_a_database_error_logs_no_bound_parameter(client, db, caplog, app_log):
    secret = "CSBNO0000777 giulia.bianchi@example.org $argon2id$v=19$m=65536$c2FsdA$aGFzaA"
    with caplog.at_level(logging.INFO):
        response = client.post("/v1/_test/sql-error", json={"value": secret})
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"
    raw = _everything_logged(caplog.records) + "".join(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    assert "missing_column" in raw  # the error itself is logged
    for part in secret.split():
        assert part not in raw and part not in app_log.getvalue()
    assert "hidden due to hide_parameters" in raw


def test_a_rate_limit_hit_logs_neither_card_nor_email(client, db, caplog, app_log):
    network = make_network(db)
    make_patron(db, network, make_library(db, network), card="CSBNO0000779")
    db.commit()
    with caplog.at_level(logging.INFO):
        statuses = [card_sign_in(client, "CSBNO0000779", "00000000").status_code for _ in range(11)]
        statuses += [
            client.post(
                "/v1/auth/patron/password", json={"email": "marco.rossi@example.org", "password": "wrong-password"}
            ).status_code
            for _ in range(11)
        ]
    assert statuses.count(429) >= 2
    logged = _everything_logged(caplog.records) + app_log.getvalue()
    assert "exceeded" in logged  # flask-limiter did log the hits
    for personal in ("CSBNO0000779", "csbno0000779", "marco.rossi@example.org"):
        assert personal not in logged


def test_log_lines_are_scrubbed_of_personal_data_whoever_wrote_them(app, app_log):
    logging.getLogger("smtp.example").warning(
        "550 <amina.diallo@example.org> refused; card CSBNO0000003, phone +39 333 1234567, cf RSSMRA85T10A562S"
    )
    line = app_log.getvalue()
    assert "550 <<email>> refused; card <card>, phone <phone>, cf <codice fiscale>" in line
