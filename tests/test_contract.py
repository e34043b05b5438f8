"""The contract as a generated client reads it: every property typed, money as the money schema,
one timestamp format, errors that validate against the error schema, and the edges of #11 item 15."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from backend.accounts.models import Patron
from backend.cli import SPEC_PATH
from backend.errors import CONFLICT, ERROR_VALUES, DomainError
from tests.accounts_helpers import card_sign_in
from tests.fees.helpers import charge, make_world, pay
from tests.support.factories import bearer, make_library, make_network, make_patron
from tests.support.ledger import fund_wallet

SPEC = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
SCHEMAS = SPEC["components"]["schemas"]
MONEY_SCHEMAS = {"Money", "PositiveMoney", "ZeroOrMoreMoney"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _validates(body, schema_name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def _properties():
    for name, schema in SCHEMAS.items():
        for prop, value in (schema.get("properties") or {}).items():
            yield f"{name}.{prop}", value


def test_every_property_has_a_type():
    untyped = [where for where, value in _properties() if not {"type", "$ref", "anyOf", "allOf", "oneOf"} & set(value)]
    assert untyped == []


def test_money_is_always_the_money_schema():
    # An inline {"amount", "currency"} object anywhere else is money the client cannot recognise.
    inline = [
        name
        for name, schema in SCHEMAS.items()
        if name not in MONEY_SCHEMAS and {"amount", "currency"} <= set(schema.get("properties") or {})
    ]
    assert inline == []
    for where in ("Ticket.price", "Order.total", "TicketType.price", "CashSession.difference"):
        model, prop = where.split(".")
        value = SCHEMAS[model]["properties"][prop]
        refs = [value.get("$ref")] + [v.get("$ref") for v in value.get("anyOf", [])]
        assert "#/components/schemas/Money" in refs, where


def test_error_body_declares_every_value_an_error_may_carry():
    declared = set(SCHEMAS["ErrorBody"]["properties"])
    assert set(ERROR_VALUES) <= declared
    assert SCHEMAS["ErrorBody"]["additionalProperties"] is False
    with pytest.raises(TypeError, match="ERROR_VALUES"):
        DomainError(CONFLICT, not_declared=1)


def test_a_business_error_with_values_validates_against_the_error_schema(client, db):
    world = make_world(db)
    fund_wallet(db, world.alice, 100)
    db.commit()
    fee = charge(client, world, world.alice, 300).get_json()["id"]
    refused = pay(client, world, world.alice, [fee])
    body = refused.get_json()
    assert refused.status_code == 422 and body["error"]["shortfall"] == {"amount": 200, "currency": "EUR"}
    _validates(body, "Error")


def test_timestamps_are_utc_whole_seconds_with_z(client, db):
    world = make_world(db)
    fee = charge(client, world, world.alice, 300).get_json()
    assert TIMESTAMP.match(fee["charged_at"]), fee["charged_at"]
    signed_in = card_sign_in(client, world.alice.card_number, "1234")
    sessions = client.get(
        "/v1/auth/sessions", headers={"Authorization": f"Bearer {signed_in.get_json()['access_token']}"}
    ).get_json()["data"]
    for session in sessions:
        assert TIMESTAMP.match(session["created_at"]) and TIMESTAMP.match(session["last_used_at"])


def test_health_and_readiness_document_their_200(client):
    for path in ("/healthz", "/readyz"):
        assert "200" in SPEC["paths"][path]["get"]["responses"], path
        response = client.get(path)
        assert response.status_code == 200
        _validates(response.get_json(), "Health" if path == "/healthz" else "Ready")


def test_errors_declared_after_a_class_body_reach_the_contract():
    # add_error_responses(View.get, 404) written below the class (desk, events, webhook).
    assert "404" in SPEC["paths"]["/v1/desk/sessions/{session_id}"]["get"]["responses"]
    assert "404" in SPEC["paths"]["/v1/events/occurrences/{occurrence_id}"]["get"]["responses"]
    assert {"400", "503"} <= set(SPEC["paths"]["/v1/payments/webhook"]["post"]["responses"])


def test_a_patch_without_a_body_is_refused_and_changes_nothing(client, db):
    network = make_network(db)
    alice = make_patron(db, network, make_library(db, network), language="it")
    db.commit()
    assert SPEC["paths"]["/v1/me"]["patch"]["requestBody"]["required"] is True
    response = client.patch("/v1/me", headers=bearer(alice))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "body_required"
    not_json = client.patch("/v1/me", data="language=en", headers={**bearer(alice), "Content-Type": "text/plain"})
    assert not_json.status_code == 415
    db.expire_all()
    assert db.get(Patron, alice.id).language == "it"


def test_a_successful_sign_in_sends_no_retry_after(client, db):
    network = make_network(db)
    alice = make_patron(db, network, make_library(db, network), pin="2468", card="ALICE001")
    db.commit()
    response = card_sign_in(client, alice.card_number, "2468")
    assert response.status_code == 201 and "Retry-After" not in response.headers


def test_an_over_long_idempotency_key_is_reported_as_too_long(client, db):
    world = make_world(db)
    fee = charge(client, world, world.alice, 300).get_json()["id"]
    response = client.post(
        "/v1/fees/payments", json={"fee_ids": [fee]}, headers={**bearer(world.alice), "Idempotency-Key": "k" * 256}
    )
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "idempotency_key_too_long"
    assert error["max_length"] == 255 and "255" in error["message"]
    _validates(response.get_json(), "Error")
    assert client.get(f"/v1/fees/{fee}", headers=bearer(world.alice)).get_json()["status"] == "outstanding"


def test_schema_names_are_distinct_for_generated_clients():
    # "_Place" and "Place" both became the class Place in a generated client.
    normalized = [name.lstrip("_").lower() for name in SCHEMAS]
    assert len(normalized) == len(set(normalized)) and not any(name.startswith("_") for name in SCHEMAS)


def test_a_boolean_in_a_body_must_be_true_or_false(client, db):
    network = make_network(db)
    alice = make_patron(db, network, make_library(db, network))
    db.commit()
    before = client.get("/v1/notifications/preferences", headers=bearer(alice)).get_json()
    refused = client.patch("/v1/notifications/preferences", json={"reminders": 0}, headers=bearer(alice))
    assert refused.status_code == 400 and refused.get_json()["error"]["param"] == "reminders"
    assert client.get("/v1/notifications/preferences", headers=bearer(alice)).get_json() == before
