"""Endpoints that exist only in the test app, to exercise the shared conventions
(idempotency, pagination, errors) before and besides the real domains."""

from __future__ import annotations

import threading

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import select

from backend.accounts.models import Network
from backend.errors import CONFLICT, DomainError
from backend.pagination import PageArgsSchema, page_schema, paginate
from backend.web.api import Blueprint
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, public
from backend.web.rate_limit import limiter

blp = Blueprint("testonly", __name__, url_prefix="/v1/_test")

# Lets a test hold a request inside its view (in-flight idempotency).
entered = threading.Event()
release = threading.Event()


class NetworkIn(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    name = ma.fields.String(required=True)
    hold = ma.fields.Boolean(load_default=False)
    fail = ma.fields.Boolean(load_default=False)


class NetworkOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    code = ma.fields.String()
    name = ma.fields.String()


@blp.route("/networks")
class Networks(MethodView):
    @allow("admin")
    @idempotent
    @blp.arguments(NetworkIn)
    @blp.response(201, NetworkOut)
    def post(self, data):
        if data["hold"]:
            entered.set()
            release.wait(10)
        network = Network(code=data["code"], name=data["name"])
        db.session.add(network)
        db.session.flush()
        if data["fail"]:
            raise DomainError(CONFLICT)
        return network

    @public
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(NetworkOut))
    def get(self, args):
        return paginate(db.session, select(Network), Network, **args)


@blp.route("/boom")
class Boom(MethodView):
    @public
    def get(self):
        raise RuntimeError("secret internal detail")


@blp.route("/limited")
class Limited(MethodView):
    @public
    @limiter.limit("2/minute")
    def get(self):
        return {"ok": True}


class SqlErrorIn(ma.Schema):
    value = ma.fields.String(required=True)


@blp.route("/sql-error")
class SqlError(MethodView):
    """A statement that fails in the database with a bound value (as a constraint or a bad cast would)."""

    @public
    @blp.arguments(SqlErrorIn)
    def post(self, data):
        from sqlalchemy import text

        db.session.execute(text("SELECT missing_column FROM networks WHERE code = :value"), {"value": data["value"]})
