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

from backend.errors import BODY_REQUIRED, ERROR_VALUES, MALFORMED_REQUEST, UNSUPPORTED_MEDIA_TYPE, DomainError
from backend.money import MoneyField
from backend.schema_fields import UtcDateTime, computed_properties
from backend.web.request_guard import checked_json


class DateRangeSchema(ma.Schema):
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)


_VALUE_FIELDS = {
    "date_ranges": lambda **kw: ma.fields.List(ma.fields.Nested(DateRangeSchema), **kw),
    "money": lambda **kw: MoneyField(**kw),
    "integer": lambda **kw: ma.fields.Integer(**kw),
    "string": lambda **kw: ma.fields.String(**kw),
    "timestamp": lambda **kw: UtcDateTime(**kw),
}

# The common error object: its four fields, validation details, and every value
# an error may carry (declared in ``backend.errors.ERROR_VALUES``).
ErrorBodySchema = ma.Schema.from_dict(
    {
        "type": ma.fields.String(
            required=True,
            metadata={
                "description": "invalid_request_error, authentication_error, permission_error, "
                "idempotency_error, rate_limit_error or api_error"
            },
        ),
        "code": ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"}),
        "message": ma.fields.String(required=True, metadata={"description": "Human text, Italian or English"}),
        "param": ma.fields.String(metadata={"description": "The request field at fault, if any"}),
        "details": ma.fields.Dict(
            metadata={
                "description": "validation_error: every invalid field with its messages (nested like the request)"
            }
        ),
        **{
            name: _VALUE_FIELDS[kind.rstrip("?")](allow_none=kind.endswith("?"), metadata={"description": text})
            for name, (kind, text) in ERROR_VALUES.items()
        },
    },
    name="ErrorBodySchema",
)


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

    def load_json(self, req, schema):
        # The contract marks every JSON body required: no body (or one that is not
        # JSON) is refused, rather than read as ``{}`` (a PATCH that changes nothing).
        data = super().load_json(req, schema)
        if data is ma.missing:
            raise DomainError(UNSUPPORTED_MEDIA_TYPE if req.get_data(cache=True) else BODY_REQUIRED)
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._routes_to_document: list[tuple] = []

    def arguments(self, schema, *args, **kwargs):
        # webargs builds a schema *class* anew on every request (its fields deep-copied,
        # nested schemas too): one instance per view instead. Loading keeps no state on it.
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        # Read a view's documentation when the blueprint joins the Api, not when
        # its route is declared: ``add_error_responses(View.post, 404)`` written
        # after the class body then reaches the contract too.
        self._routes_to_document.append((endpoint, obj, parameters, tags, options))

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        # As flask-smorest's, plus a stable operationId for each operation
        # (overridable with ``@blp.doc(operationId=...)``).
        for endpoint, obj, route_parameters, tags, options in self._routes_to_document:
            super()._store_endpoint_docs(endpoint, obj, route_parameters, tags, **options)
        self._routes_to_document.clear()
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

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(computed_properties)

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
