"""The committed contract is what the code generates, and it is a valid OpenAPI 3.1 document."""

import json

from openapi_spec_validator import validate

from backend import create_app
from backend.cli import SPEC_PATH, spec_json


def _generated(settings):
    return json.loads(spec_json(create_app(settings.with_overrides(testing=False))))


def test_committed_spec_is_up_to_date(settings):
    committed = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert committed == _generated(settings), (
        "mobile_api_spec/openapi.json is stale: run `borsellino openapi` and commit it"
    )


def test_spec_is_valid_openapi_31(settings):
    spec = _generated(settings)
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert spec["info"]["contact"]["email"]
    assert spec["servers"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_operation_is_named_tagged_and_documents_auth_and_errors(settings):
    spec = _generated(settings)
    operation_ids = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            where = f"{method.upper()} {path}"
            operation_ids.append(op.get("operationId"))
            assert op.get("operationId"), where
            assert op.get("tags"), where
            assert "security" in op, f"{where} does not declare auth"
            if op["security"]:
                assert {"401", "403"} <= set(op["responses"]), f"{where} lacks 401/403"
            assert "default" in op["responses"], f"{where} lacks the error response"
    assert len(operation_ids) == len(set(operation_ids))


def test_the_servers_follow_the_public_base_url_this_server_first(settings):
    app = create_app(settings.with_overrides(testing=False, public_base_url="http://127.0.0.1:8111"))
    servers = json.loads(spec_json(app))["servers"]
    assert [s["url"] for s in servers] == ["http://127.0.0.1:8111", "https://api.retedellereti.example"]
    app.extensions["borsellino.db"].dispose()
