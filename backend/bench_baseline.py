"""Bare baseline for ``bench/wallet_pay.py``: pgbench's TPC-B-like transaction in SQLAlchemy Core.

Registered only when ``BORSELLINO_BENCH_BASELINE=1`` (never in production: the
app refuses to start then), as a plain Flask blueprint, so it is absent from
the OpenAPI document. It needs the ``pgbench_*`` tables (``pgbench -i``).
"""

from __future__ import annotations

import os
import random

from flask import Blueprint, jsonify
from sqlalchemy import text

from backend.auth.policy import public
from backend.db import db

ENV_FLAG = "BORSELLINO_BENCH_BASELINE"
bp = Blueprint("bench_baseline", __name__, url_prefix="/bench")

_TPCB = [
    text("UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid"),
    text("SELECT abalance FROM pgbench_accounts WHERE aid = :aid"),
    text("UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid"),
    text("UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid"),
    text("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
         "VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP)"),
]


@bp.post("/tpcb")
@public
def tpcb():
    # Scale 1, as ``pgbench -i -s 1``: 100,000 accounts, 10 tellers, 1 branch.
    values = {"aid": random.randint(1, 100_000), "tid": random.randint(1, 10), "bid": 1,
              "delta": random.randint(-5000, 5000)}
    with db.engine.begin() as conn:
        balance = None
        for statement in _TPCB:
            result = conn.execute(statement, values)
            if result.returns_rows:
                balance = result.scalar()
    return jsonify({"abalance": balance})


def register_if_enabled(app) -> None:
    if os.environ.get(ENV_FLAG) != "1":
        return
    if app.config["SETTINGS"].env == "production":
        raise RuntimeError(f"{ENV_FLAG}=1 is for benchmarks only and refused in production")
    app.register_blueprint(bp)
