"""Health and readiness, as a load balancer sees them."""

import tempfile
from pathlib import Path

from backend import create_app


def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_readyz_is_503_when_migrations_are_pending(settings):
    empty = Path(tempfile.mkdtemp()) / "empty.sqlite"
    app = create_app(settings.with_overrides(database_url=f"sqlite:///{empty}"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "pending"


def test_docs_page_is_served(client):
    response = client.get("/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.data
    assert client.get("/openapi.json").get_json()["info"]["title"] == "Borsellino API"
