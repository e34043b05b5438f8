"""Headers: pages can't be framed or sniffed, tokens and personal data are never cached; ProxyFix is opt-in."""

import pytest

from backend import create_app
from backend.web.rate_limit import limiter
from tests.accounts_helpers import card_sign_in
from tests.support.factories import make_library, make_network, make_patron


def test_console_pages_carry_a_policy_against_framing_sniffing_and_foreign_content(client):
    response = client.get("/console/login")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy and "form-action 'self'" in policy
    # Scripts only from the console itself (the partners' QR reader), never inline.
    assert "script-src 'self'" in policy and "unsafe-inline'; img" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_token_responses_are_never_cached(client, db, app_ctx):
    network = make_network(db)
    make_patron(db, network, make_library(db, network), pin="1234", card="HDRS0001")
    db.commit()
    response = card_sign_in(client, "HDRS0001", "1234")
    assert response.status_code == 201 and "access_token" in response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": response.get_json()["refresh_token"]})
    assert refreshed.headers["Cache-Control"] == "no-store"


def test_api_errors_are_not_sniffed_and_docs_cannot_be_framed(client):
    error = client.get("/v1/nothing-here")
    assert error.status_code == 404 and error.headers["X-Content-Type-Options"] == "nosniff"
    docs = client.get("/docs/")
    assert docs.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert docs.headers["X-Frame-Options"] == "DENY"


def _hammer(client, forwarded_for):
    return [
        client.post(
            "/v1/auth/patron/card",
            json={"card_number": f"NOPE{i:04d}", "pin": "0000"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for i in range(31)
    ]


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(client):
    # 30/minute per address: the 31st attempt from "different" forwarded addresses is still one client.
    statuses = [
        client.post(
            "/v1/auth/patron/card",
            json={"card_number": f"NOPE{i:04d}", "pin": "0000"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(31)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:30]


@pytest.fixture
def proxied_client(settings):
    app = create_app(settings.with_overrides(trusted_proxies=1))
    with app.app_context():
        limiter.reset()
    yield app.test_client()
    app.extensions["borsellino.db"].dispose()


def test_behind_one_trusted_proxy_each_client_has_its_own_bucket(proxied_client):
    assert _hammer(proxied_client, "198.51.100.7")[-1] == 429
    # Another client behind the same proxy is not limited; a spoofed first hop changes nothing.
    fresh = proxied_client.post(
        "/v1/auth/patron/card",
        json={"card_number": "NOPE9999", "pin": "0000"},
        headers={"X-Forwarded-For": "198.51.100.8"},
    )
    assert fresh.status_code == 401
    spoofed = proxied_client.post(
        "/v1/auth/patron/card",
        json={"card_number": "NOPE9998", "pin": "0000"},
        headers={"X-Forwarded-For": "10.9.9.9, 198.51.100.7"},
    )
    assert spoofed.status_code == 429
