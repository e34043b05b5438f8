"""The demo seeds Socialbook as the issue asks: four guides across two networks, one with a kit and two
linked events, demo patrons following it and halfway through it."""

from __future__ import annotations

from sqlalchemy import select

from backend.demo import seed
from backend.guides.models import Guide, GuideEventLink, Kit
from tests.guides.helpers import auth


def test_demo_guides(app, client, db):
    with app.app_context():
        ctx = app.extensions["borsellino.db"].run_in_transaction(lambda s: seed(s, app.config["SETTINGS"]))
    guides = db.scalars(select(Guide).order_by(Guide.id)).all()
    assert len(guides) == 4 and len({g.network_id for g in guides}) == 2
    assert all(g.state == "published" for g in guides)
    bullying = guides[0]
    assert db.scalar(select(Kit).where(Kit.guides.any(Guide.id == bullying.id))) is not None
    assert len(db.scalars(select(GuideEventLink).where(GuideEventLink.guide_id == bullying.id)).all()) == 2
    giulia = ctx.patrons[0]
    db.commit()
    detail = client.get(f"/v1/guides/{bullying.public_id}", headers=auth(giulia)).json
    assert detail["following"] is True and detail["followers"] == 3
    assert detail["progress"]["percent"] == 50
    assert len(detail["upcoming_events"]) >= 2 and detail["kits"]
    assert detail["items"][0]["record"]["opac_url"].startswith("https://opac.csbno.example/")
    # The network-only guide of Milan is not shown to a CSBNO patron.
    listed = client.get("/v1/guides", headers=auth(giulia)).json["data"]
    assert len(listed) == 3
