"""flask-smorest wired to the project's conventions.

``Blueprint`` validates with 400 and the common error shape, and names every
operation; ``Api`` documents errors with the common schema. Every domain's
``api.py`` builds its blueprint with ``Blueprint(...)`` from here.
"""

from __future__ import annotations

from copy import deepcopy

import flask_smorest
import marshmallow as ma
from flask_smorest.utils import deepupdate
from webargs.flaskparser import FlaskParser

from backend.errors import MALFORMED_REQUEST, DomainError
from backend.web.request_guard import checked_json


class ErrorBodySchema(ma.Schema):
    type = ma.fields.String(
        required=True,
        metadata={"description": "invalid_request_error, authentication_error, permission_error, "
                  "idempotency_error, rate_limit_error or api_error"},
    )
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "Human text, Italian or English"})
    param = ma.fields.String(metadata={"description": "The request field at fault, if any"})
    details = ma.fields.Dict(metadata={"description": "Validation messages by field"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        # The body was parsed and checked once by ``backend.web.request_guard``.
        body = checked_json(req)
        return body if body is not None else super()._raw_load_json(req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise DomainError(MALFORMED_REQUEST)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        # As flask-smorest's, plus a stable operationId for each operation
        # (overridable with ``@blp.doc(operationId=...)``).
        url_prefix_parameters = parameters or []
        for endpoint, endpoint_doc_info in deepcopy(self._docs).items():
            endpoint_parameters = url_prefix_parameters + (endpoint_doc_info.pop("parameters") or [])
            doc = {}
            for method_l, operation_doc_info in endpoint_doc_info.items():
                tags = operation_doc_info.pop("tags")
                operation_doc = {}
                for func in self._prepare_doc_cbks:
                    operation_doc = func(
                        operation_doc, operation_doc_info, api=api, app=app, spec=spec, method=method_l
                    )
                operation_doc.update(operation_doc_info["docstring"])
                operation_doc["tags"] = tags if tags is not None else [name]
                operation_doc["operationId"] = f"{name}.{endpoint}.{method_l}"
                doc[method_l] = deepupdate(operation_doc, operation_doc_info.get("manual_doc", {}))
            rule = next(app.url_map.iter_rules(".".join((name, endpoint))))
            spec.path(rule=rule, operations=doc, parameters=endpoint_parameters)


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # The app factory registers the project's handlers (backend.errors).
        pass


def add_doc(func, **doc):
    """Merge OpenAPI operation fields into a view's documentation (as ``blp.doc``)."""
    func._apidoc = deepcopy(getattr(func, "_apidoc", {}))
    func._apidoc["manual_doc"] = deepupdate(deepcopy(func._apidoc.get("manual_doc", {})), doc)
    return func


def add_error_responses(func, *statuses: int):
    """Document error statuses of a view with the common error schema."""
    import http

    func._apidoc = deepcopy(getattr(func, "_apidoc", {}))
    responses = func._apidoc.setdefault("response", {}).setdefault("responses", {})
    for status in statuses:
        responses.setdefault(status, []).append(http.HTTPStatus(status).name)
    return func


class UtcDateTime(ma.fields.DateTime):
    """An API time: UTC, ISO 8601 ending in ``Z`` (DESIGN.md), whatever the stored offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        from datetime import timezone

        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
