"""Input no field can accept is refused at the edge with a 400 in the common shape, and changes nothing.

Runs on SQLite and on PostgreSQL (where a NUL byte reaching a query used to be a 500).
"""

import pytest
from sqlalchemy import func, select

from backend.accounts.models import AuthSession, Patron, SignInThrottle
from backend.idempotency import IdempotencyKey
from tests.fees.helpers import charge, make_world, money_state
from tests.test_errors import assert_error_shape

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
HUGE = "9" * 3000


@pytest.fixture
def world(db, app_ctx):
    return make_world(db)


def send(client, method, path, raw, headers=None):
    return client.open(path, method=method, data=raw, content_type="application/json", headers=headers or {})


def accounts_state(db) -> tuple:
    state = (
        db.scalar(select(func.count()).select_from(AuthSession)),
        db.scalar(select(func.count()).select_from(SignInThrottle)),
        db.scalar(select(func.count()).select_from(IdempotencyKey)),
        tuple(
            db.execute(
                select(
                    Patron.public_id, Patron.first_name, Patron.email, Patron.phone, Patron.language, Patron.status
                ).order_by(Patron.id)
            ).all()
        ),
    )
    db.commit()
    return state


# --- 6. a JSON body that is not an object -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/auth/patron/card",
        "/v1/auth/patron/password",
        "/v1/auth/staff/password",
        "/v1/auth/reset",
        "/v1/auth/staff/reset",
        "/v1/auth/reset/confirm",
    ],
)
@pytest.mark.parametrize("raw", ["[1]", '"abc"', "123", "true", "null"])
def test_a_body_that_is_not_an_object_is_400_on_sign_in_and_reset(client, db, world, path, raw):
    before = accounts_state(db)
    error = assert_error_shape(send(client, "POST", path, raw), 400, "body_not_object")
    assert error["param"] == "body" and error["type"] == "invalid_request_error"
    assert accounts_state(db) == before


# --- 7. deep nesting and huge numbers -------------------------------------------------------------


@pytest.mark.parametrize("raw", [DEEP_ARRAY, DEEP_OBJECT, '{"card_number": ' + DEEP_ARRAY + "}"])
def test_deeply_nested_json_is_400_at_sign_in(client, db, world, raw):
    before = accounts_state(db)
    assert_error_shape(send(client, "POST", "/v1/auth/patron/card", raw), 400, "json_too_deep")
    assert accounts_state(db) == before


def test_huge_numbers_are_400_naming_the_field(client, db, world):
    before = accounts_state(db)
    response = send(client, "POST", "/v1/auth/patron/card", '{"card_number": %s, "pin": "1234"}' % HUGE)
    assert assert_error_shape(response, 400, "number_out_of_range")["param"] == "card_number"
    response = send(client, "PATCH", "/v1/me", '{"language": %s}' % HUGE, world.auth(world.alice))
    assert assert_error_shape(response, 400, "number_out_of_range")["param"] == "language"
    for raw in ('{"language": 1e999}', '{"language": NaN}', '{"language": -Infinity}'):
        response = send(client, "PATCH", "/v1/me", raw, world.auth(world.alice))
        assert_error_shape(response, 400, "number_out_of_range")
    response = send(client, "PATCH", "/v1/me", DEEP_OBJECT, world.auth(world.alice))
    assert_error_shape(response, 400, "json_too_deep")
    assert accounts_state(db) == before


def test_huge_numbers_and_deep_nesting_never_reach_a_fee_payment(client, db, world):
    fee = charge(client, world, world.alice, amount=300).get_json()["id"]
    before = money_state(db)
    headers = world.idem(world.alice, "pay-once")
    response = send(client, "POST", "/v1/fees/payments", '{"fee_ids": ["%s"], "x": %s}' % (fee, HUGE), headers)
    assert assert_error_shape(response, 400, "number_out_of_range")["param"] == "x"
    response = send(client, "POST", "/v1/fees/payments", '{"fee_ids": %s}' % DEEP_ARRAY, headers)
    assert_error_shape(response, 400, "json_too_deep")
    assert money_state(db) == before
    # The refusals claimed nothing: the same key still works for a real payment (the wallet is empty).
    response = client.post("/v1/fees/payments", json={"fee_ids": [fee]}, headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "insufficient_funds"


# --- 8. dates at the edges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["from=0001-01-01T00:00:00", "to=9999-12-31T23:59:59", "from=0001-01-01T00:00:00%2B01:00"]
)
def test_dates_at_the_edges_are_400_in_the_search(client, db, world, query):
    error = assert_error_shape(client.get(f"/v1/events/occurrences?{query}"), 400, "validation_error")
    assert error["param"] in ("from", "to")


@pytest.mark.parametrize(
    "period, param", [("9999/12", "year"), ("1/1", "year"), ("2026/13", "month"), ("2026/0", "month")]
)
def test_statement_months_out_of_range_are_400_like_every_bad_parameter(client, db, world, period, param):
    response = client.get(f"/v1/wallet/statements/{period}", headers=world.auth(world.alice))
    assert assert_error_shape(response, 400, "validation_error")["param"] == param


def test_a_wallet_filter_at_the_edge_of_time_is_400(client, db, world):
    response = client.get(
        "/v1/wallet/transactions?created_from=0001-01-01T00:00:00%2B05:00", headers=world.auth(world.alice)
    )
    assert assert_error_shape(response, 400, "validation_error")["param"] == "created_from"


# --- 9. lone surrogates, 10. NUL bytes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, param",
    [
        ('{"card_number": "\\ud83d", "pin": "1234"}', "card_number"),
        ('{"card_number": "CSBNO\\u0000001", "pin": "1234"}', "card_number"),
        ('{"card_number": "CSBNO0000001", "pin": "12\\u00004"}', "pin"),
        ('{"card_number\\u0000": "x", "pin": "1234"}', "body"),
    ],
)
def test_nul_bytes_and_lone_surrogates_are_400_at_sign_in(client, db, world, raw, param):
    before = accounts_state(db)
    error = assert_error_shape(send(client, "POST", "/v1/auth/patron/card", raw), 400, "invalid_characters")
    assert error["param"] == param and param in error["message"]
    assert accounts_state(db) == before


def test_a_lone_surrogate_in_a_name_is_400_and_the_patron_unchanged(client, db, world):
    before = accounts_state(db)
    response = send(client, "PATCH", "/v1/me", '{"phone": "\\ud83d"}', world.auth(world.alice))
    assert assert_error_shape(response, 400, "invalid_characters")["param"] == "phone"
    assert accounts_state(db) == before


@pytest.mark.parametrize(
    "url",
    [
        "/v1/events/occurrences?q=%00",
        "/v1/events/occurrences?category=%00",
        "/v1/events/occurrences?q%00=1",
        "/v1/fees/fee_%00",
        "/v1/events/occurrences/occ_%00",
    ],
)
def test_nul_bytes_in_path_and_query_are_400(client, db, world, url):
    assert_error_shape(client.get(url, headers=world.auth(world.alice)), 400, "invalid_characters")


def test_nul_bytes_in_a_batch_import_change_nothing(client, db, world):
    before = money_state(db)
    body = {
        "fees": [
            {
                "external_id": "CLAVIS-\u0000",
                "card_number": world.alice.card_number,
                "library_code": world.library.code,
                "type": "overdue",
            }
        ]
    }
    response = client.post("/v1/fees/import", json=body, headers=world.auth(world.librarian))
    assert assert_error_shape(response, 400, "invalid_characters")["param"] == "fees.0.external_id"
    assert money_state(db) == before


def test_nul_bytes_in_a_console_form_are_400(client, db, world):
    response = client.post("/console/login", data={"email": "a\u0000@b.it", "password": "x"})
    assert response.status_code == 400


def test_the_english_message_names_the_field(client, db, world):
    response = client.open(
        "/v1/auth/patron/card",
        method="POST",
        data='{"card_number": "\\u0000"}',
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert assert_error_shape(response, 400, "invalid_characters")["message"] == (
        "The field 'card_number' contains characters that are not allowed (NUL or a lone UTF-16 surrogate)."
    )


def test_valid_input_still_passes(client, db, world):
    response = client.patch(
        "/v1/me", json={"phone": "+39 02 1234567", "language": "en"}, headers=world.auth(world.alice)
    )
    assert response.status_code == 200, response.get_json()
    assert client.get("/v1/events/occurrences?q=letture&from=2026-01-01T00:00:00").status_code == 200


# --- 11. over-long request lines and headers ----------------------------------------------------------------


def test_an_over_long_url_is_a_json_414(client, db, world):
    response = client.get("/v1/events/occurrences?q=" + "a" * 5000)
    assert_error_shape(response, 414, "uri_too_long")


def test_an_over_large_header_is_a_json_431(client, db, world):
    response = client.get("/v1/events/occurrences", headers={"X-Padding": "a" * 9000})
    assert_error_shape(response, 431, "headers_too_large")


def test_gunicorn_lets_through_what_the_app_answers_itself():
    import importlib

    from backend.web import request_guard

    conf = importlib.import_module("backend.gunicorn_conf")
    # A request line is "GET <url> HTTP/1.1": gunicorn must accept every URL the app refuses in JSON.
    assert conf.limit_request_line >= request_guard.MAX_URL + len("GET  HTTP/1.1") + 100
    assert conf.limit_request_field_size >= request_guard.MAX_HEADER + 100
