"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import marshmallow as ma
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import jsonify
from flask.views import MethodView
from sqlalchemy import text

from backend.migrations_support import alembic_config
from backend.web.api import Blueprint
from backend.web.database import db
from backend.web.policy import public

blp = Blueprint("ops", __name__, description="Health and readiness")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["ok"]))


class ReadyChecksSchema(ma.Schema):
    database = ma.fields.String(required=True, validate=ma.validate.OneOf(["ok", "unreachable"]))
    migrations = ma.fields.String(required=True, validate=ma.validate.OneOf(["ok", "pending", "unknown"]))


class ReadySchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["ready", "not_ready"]))
    checks = ma.fields.Nested(ReadyChecksSchema, required=True)


@blp.route("/healthz")
class Health(MethodView):
    @public
    @blp.doc(summary="The process is alive")
    @blp.response(200, HealthSchema)
    def get(self):
        return jsonify({"status": "ok"})


@blp.route("/readyz")
class Ready(MethodView):
    @public
    @blp.doc(summary="The database answers and its schema is at the latest migration")
    @blp.response(200, ReadySchema, description="Ready")
    @blp.alt_response(503, schema=ReadySchema, description="Not ready: see `checks`")
    def get(self):
        checks = {"database": "ok", "migrations": "ok"}
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                current = set(MigrationContext.configure(conn).get_current_heads())
            expected = set(ScriptDirectory.from_config(alembic_config(db.url)).get_heads())
            if current != expected:
                checks["migrations"] = "pending"
        except Exception:
            checks["database"] = "unreachable"
            checks["migrations"] = "unknown"
        ready = all(v == "ok" for v in checks.values())
        response = jsonify({"status": "ready" if ready else "not_ready", "checks": checks})
        response.status_code = 200 if ready else 503
        return response
