"""+Teca migrations that change existing rows, run on a database (an SQLite file of its own) holding rows of the revision before."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text

from backend.migrations_support import upgrade

WHEN = "'2026-11-30 10:00:00.000000'"
DONATION = (
    "INSERT INTO donations (id, public_id, network_id, patron_id, purpose, amount, currency, method, state,"
    " visibility, message_status, art_bonus_requested, created_at, updated_at)"
    " VALUES (:id, :public_id, 1, 1, 'campaign', 500, 'EUR', 'wallet', 'succeeded', :visibility, 'none', false,"
    f" {WHEN}, {WHEN})"
)
PATRON = (
    "INSERT INTO patrons (id, public_id, card_number, home_network_id, first_name, last_name, language, status,"
    f" created_at) VALUES (:id, :public_id, :card, 1, :name, :name, 'it', :status, {WHEN})"
)
RECURRING = (
    "INSERT INTO recurring_donations (id, public_id, campaign_id, patron_id, amount, currency, interval, visibility,"
    " state, next_run_at, next_period, failures, art_bonus_requested, tax_code, created_at, updated_at)"
    " VALUES (:id, :public_id, 1, :patron_id, 1000, 'EUR', 'monthly', 'anonymous', :state, '2026-12-30 10:00:00.000000',"
    f" '2026-12', 0, :art_bonus, :tax_code, {WHEN}, {WHEN})"
)


@pytest.fixture(scope="module")
def before_c04(tmp_path_factory):
    """A database migrated up to the revision before the +Teca data migrations (built once)."""
    path = tmp_path_factory.mktemp("migrations") / "c03.db"
    upgrade(f"sqlite:///{path}", "c03_recurring_art_bonus")
    return path


@pytest.fixture
def old_database(before_c04, tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(before_c04, path)
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    yield url, engine
    engine.dispose()


def test_existing_donations_get_wall_ids_of_their_own(old_database):
    url, engine = old_database
    donations = [
        {"id": n, "public_id": f"don_{n:024x}", "visibility": visibility}
        for n, visibility in enumerate(["anonymous", "name_only", "name_and_amount"] * 5, start=1)
    ]
    with engine.begin() as conn:
        conn.execute(text(DONATION), donations)

    upgrade(url, "c04_donor_wall_ids")

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, public_id, wall_public_id FROM donations ORDER BY id")).all()
    assert [(row.id, row.public_id) for row in rows] == [(d["id"], d["public_id"]) for d in donations]
    wall_ids = [row.wall_public_id for row in rows]
    assert all(w.startswith("wall_") and len(w) == len("wall_") + 24 for w in wall_ids)
    assert len(set(wall_ids)) == len(rows) and not set(wall_ids) & {d["public_id"] for d in donations}


def test_recurring_donations_of_accounts_deleted_before_stop_and_lose_their_tax_code(old_database):
    url, engine = old_database
    upgrade(url, "c04_donor_wall_ids")
    with engine.begin() as conn:
        conn.execute(
            text(PATRON),
            [
                {"id": 1, "public_id": "pat_gone", "card": "DEL1", "name": "—", "status": "deleted"},
                {"id": 2, "public_id": "pat_here", "card": "C0002", "name": "Anna", "status": "active"},
            ],
        )
        conn.execute(
            text(RECURRING),
            [
                {
                    "id": 1,
                    "public_id": "rdn_1",
                    "patron_id": 1,
                    "state": "active",
                    "art_bonus": True,
                    "tax_code": "RSSMRA85T10A562S",
                },
                {
                    "id": 2,
                    "public_id": "rdn_2",
                    "patron_id": 1,
                    "state": "paused",
                    "art_bonus": True,
                    "tax_code": "BNCGLI90A41F205H",
                },
                {
                    "id": 3,
                    "public_id": "rdn_3",
                    "patron_id": 1,
                    "state": "stopped",
                    "art_bonus": False,
                    "tax_code": None,
                },
                {
                    "id": 4,
                    "public_id": "rdn_4",
                    "patron_id": 2,
                    "state": "active",
                    "art_bonus": True,
                    "tax_code": "RSSMRA85T10A562S",
                },
                {
                    "id": 5,
                    "public_id": "rdn_5",
                    "patron_id": 2,
                    "state": "paused",
                    "art_bonus": False,
                    "tax_code": None,
                },
            ],
        )

    upgrade(url, "c05_deleted_donors_recurring")

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, state, tax_code, last_error FROM recurring_donations ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        (1, "stopped", None, "account_deleted"),
        (2, "stopped", None, "account_deleted"),
        (3, "stopped", None, None),
        (4, "active", "RSSMRA85T10A562S", None),
        (5, "paused", None, None),
    ]
