"""A fresh worker's warm-up (gunicorn's ``post_worker_init``): harmless on any database."""

from sqlalchemy import func, select

from backend.idempotency import IdempotencyKey
from backend.web.warmup import warm_up


def test_warm_up_runs_on_an_empty_database_and_writes_nothing(app, client, db):
    warm_up(app)
    assert db.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert client.get("/healthz").status_code == 200
