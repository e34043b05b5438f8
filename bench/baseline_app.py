"""The benchmark's app: Borsellino plus a bare baseline, pgbench's TPC-B-like transaction in Core.

``bench/wallet_pay.py`` serves ``bench.baseline_app:app`` with gunicorn: the
production app (``backend.web.app.create_app``) with one more plain Flask
blueprint, ``POST /bench/tpcb``, absent from the OpenAPI document and from the
production app. It needs the ``pgbench_*`` tables (``pgbench -i``); a
production environment is refused.
"""

from __future__ import annotations

import random

from flask import Blueprint, jsonify
from sqlalchemy import text

from backend.web.app import create_app
from backend.web.database import db
from backend.web.policy import public

bp = Blueprint("bench_baseline", __name__, url_prefix="/bench")

_TPCB = [
    text("UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid"),
    text("SELECT abalance FROM pgbench_accounts WHERE aid = :aid"),
    text("UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid"),
    text("UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid"),
    text(
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP)"
    ),
]


@bp.post("/tpcb")
@public
def tpcb():
    # Scale 1, as ``pgbench -i -s 1``: 100,000 accounts, 10 tellers, 1 branch.
    values = {
        "aid": random.randint(1, 100_000),
        "tid": random.randint(1, 10),
        "bid": 1,
        "delta": random.randint(-5000, 5000),
    }
    with db.engine.begin() as conn:
        balance = None
        for statement in _TPCB:
            result = conn.execute(statement, values)
            if result.returns_rows:
                balance = result.scalar()
    return jsonify({"abalance": balance})


def create_bench_app():
    app = create_app()
    if app.config["SETTINGS"].env == "production":
        raise RuntimeError("the benchmark's app is refused in production")
    app.register_blueprint(bp)
    return app


app = create_bench_app()
