"""Every error, whatever raised it, has the one documented shape and the right status."""

from tests.support.factories import bearer, make_network, make_staff


def assert_error_shape(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["type"]
    assert body["error"]["message"]
    return body["error"]


def admin_headers(db):
    user = make_staff(db, "admin", make_network(db))
    db.commit()
    return bearer(user)


def test_unknown_route_is_404_in_error_shape(client):
    err = assert_error_shape(client.get("/v1/nothing-here"), 404, "not_found")
    assert err["type"] == "invalid_request_error"


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/v1/_test/networks")
    assert_error_shape(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_unknown_field_is_rejected_and_nothing_is_created(client, db, app_ctx):
    headers = {**admin_headers(db), "Idempotency-Key": "k-unknown"}
    response = client.post("/v1/_test/networks", json={"code": "X", "name": "X", "colour": "red"}, headers=headers)
    err = assert_error_shape(response, 400, "validation_error")
    assert err["param"] == "colour"
    assert "colour" in err["details"]
    assert client.get("/v1/_test/networks").get_json()["data"] == [
        n for n in client.get("/v1/_test/networks").get_json()["data"] if n["code"] != "X"
    ]


def test_wrong_type_names_the_field(client, db, app_ctx):
    headers = {**admin_headers(db), "Idempotency-Key": "k-type"}
    response = client.post("/v1/_test/networks", json={"code": 12, "name": "X"}, headers=headers)
    err = assert_error_shape(response, 400, "validation_error")
    assert err["param"] == "code"


def test_malformed_json_is_400(client, db, app_ctx):
    headers = {**admin_headers(db), "Idempotency-Key": "k-json", "Content-Type": "application/json"}
    response = client.post("/v1/_test/networks", data="{not json", headers=headers)
    assert_error_shape(response, 400, "malformed_request")


def test_missing_token_is_401_and_wrong_role_is_403(client, db, app_ctx):
    assert_error_shape(client.post("/v1/_test/networks", json={}), 401, "unauthenticated")
    librarian = make_staff(db, "librarian", make_network(db))
    db.commit()
    response = client.post("/v1/_test/networks", json={}, headers=bearer(librarian))
    assert_error_shape(response, 403, "forbidden")


def test_crash_is_500_without_internals(client):
    response = client.get("/v1/_test/boom")
    err = assert_error_shape(response, 500, "internal_error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert err["type"] == "api_error"


def test_rate_limit_is_429_in_error_shape(client):
    assert client.get("/v1/_test/limited").status_code == 200
    assert client.get("/v1/_test/limited").status_code == 200
    err = assert_error_shape(client.get("/v1/_test/limited"), 429, "rate_limited")
    assert err["type"] == "rate_limit_error"


def test_messages_follow_accept_language_italian_first(client):
    italian = client.get("/v1/nothing-here").get_json()["error"]["message"]
    english = client.get("/v1/nothing-here", headers={"Accept-Language": "en-GB,en;q=0.9"})
    german = client.get("/v1/nothing-here", headers={"Accept-Language": "de"})
    assert italian == "Risorsa non trovata."
    assert english.get_json()["error"]["message"] == "Resource not found."
    assert german.get_json()["error"]["message"] == italian


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert generated.headers["X-Request-Id"] != "bad id with spaces"
    assert len(generated.headers["X-Request-Id"]) == 32
