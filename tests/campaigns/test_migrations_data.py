"""+Teca migrations that change existing rows, run on a database holding rows of the revision before."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from backend.migrations_support import upgrade

DONATION = (
    "INSERT INTO donations (id, public_id, network_id, patron_id, purpose, amount, currency, method, state,"
    " visibility, message_status, art_bonus_requested, created_at, updated_at)"
    " VALUES (:id, :public_id, 1, 1, 'campaign', 500, 'EUR', 'wallet', 'succeeded', :visibility, 'none', false,"
    " '2026-11-30 10:00:00.000000', '2026-11-30 10:00:00.000000')"
)


def test_existing_donations_get_wall_ids_of_their_own(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "c03_recurring_art_bonus")
    engine = create_engine(url)
    donations = [
        {"id": n, "public_id": f"don_{n:024x}", "visibility": visibility}
        for n, visibility in enumerate(["anonymous", "name_only", "name_and_amount"] * 5, start=1)
    ]
    with engine.begin() as conn:
        conn.execute(text(DONATION), donations)

    upgrade(url, "c04_donor_wall_ids")

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, public_id, wall_public_id FROM donations ORDER BY id")).all()
    engine.dispose()
    assert [(row.id, row.public_id) for row in rows] == [(d["id"], d["public_id"]) for d in donations]
    wall_ids = [row.wall_public_id for row in rows]
    assert all(w.startswith("wall_") and len(w) == len("wall_") + 24 for w in wall_ids)
    assert len(set(wall_ids)) == len(rows) and not set(wall_ids) & {d["public_id"] for d in donations}
