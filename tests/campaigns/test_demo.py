"""The demo seeds three campaigns through the real services, and the books pass the audit."""

from __future__ import annotations

from sqlalchemy import select

from backend.campaigns.models import Campaign, Donation, SupporterCard
from backend.demo import seed
from tests.campaigns.helpers import assert_audit_clean


def test_demo_campaigns(app_ctx, client, db):
    seed(db, app_ctx.config["SETTINGS"])
    db.commit()
    states = {c.title: (c.state, c.model) for c in db.scalars(select(Campaign))}
    assert states == {
        "Un angolo morbido per i più piccoli": ("live", "keep_it_all"),
        "Bibliobus per le frazioni": ("live", "all_or_nothing"),
        "Festival della lettura 2026": ("funded", "keep_it_all"),
    }
    assert {d.visibility for d in db.scalars(select(Donation))} == {"name_and_amount", "name_only", "anonymous"}
    assert len(db.scalars(select(SupporterCard)).all()) == 2
    db.commit()
    corner = client.get("/v1/campaigns?sort=most_funded").json["data"][0]
    assert corner["title"] == "Un angolo morbido per i più piccoli" and 80 <= corner["progress"]["percent"] < 100
    assert_audit_clean(db)
