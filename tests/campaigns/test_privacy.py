"""An anonymous donor never shows: walk every endpoint that lists donors, donations or notifications."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import openpyxl
from sqlalchemy import update

from backend.campaigns import receipts
from backend.campaigns.closing import close_due_campaigns
from backend.campaigns.models import Campaign
from backend.db import utcnow
from backend.finance.reports import REPORTS
from backend.i18n import ROME
from backend.ledger.periods import month_of
from tests.campaigns.helpers import auth, console_sign_in, donate, make_campaign, make_world
from tests.finance.helpers import inside, last_month, top_up
from tests.support.factories import make_staff


def test_anonymous_never_leaks_anywhere_others_can_look(app, client, db):
    world = make_world(db, patrons=3)
    campaign = make_campaign(db, world, art_bonus=True)
    shy, named, amount_hidden = world.patrons
    shy.first_name, shy.last_name = "Segretissima", "Nascosta"
    db.commit()
    secret_markers = ["Segretissima", "Nascosta", shy.public_id, shy.card_number, shy.email]
    donate(client, shy, campaign, 1234, visibility="anonymous", message="Con affetto")
    donate(client, named, campaign, 2000)
    donate(client, amount_hidden, campaign, 777, visibility="name_only")
    client.post(f"/v1/campaigns/{campaign.public_id}/follow", headers=auth(named))
    client.post(
        f"/v1/campaigns/manage/{campaign.public_id}/updates",
        json={"body": "Grazie a tutti!"},
        headers=auth(world.librarian),
    )
    app.extensions["borsellino.db"].run_in_transaction(receipts.issue_pending_receipts)
    staff_donations = client.get(f"/v1/campaigns/manage/{campaign.public_id}/donations", headers=auth(world.librarian))
    for donation in staff_donations.json["data"]:
        if donation["visibility"] == "anonymous":
            moderated = client.post(
                f"/v1/campaigns/manage/donations/{donation['id']}/moderation",
                json={"approve": True},
                headers=auth(world.librarian),
            )
            assert moderated.status_code == 200

    seen = {
        "wall": client.get(f"/v1/campaigns/{campaign.public_id}/donors"),
        "campaign": client.get(f"/v1/campaigns/{campaign.public_id}"),
        "discovery": client.get("/v1/campaigns?sort=most_funded"),
        "updates": client.get(f"/v1/campaigns/{campaign.public_id}/updates"),
        "staff_donations": client.get(
            f"/v1/campaigns/manage/{campaign.public_id}/donations", headers=auth(world.librarian)
        ),
        "staff_campaigns": client.get("/v1/campaigns/manage", headers=auth(world.librarian)),
        "others_notifications": client.get("/v1/notifications", headers=auth(named)),
        "others_donations": client.get("/v1/campaigns/donations", headers=auth(named)),
        "admin_donations": client.get(
            f"/v1/campaigns/manage/{campaign.public_id}/donations", headers=auth(world.admin)
        ),
    }
    for name, response in seen.items():
        assert response.status_code == 200, (name, response.json)
        body = json.dumps(response.json, ensure_ascii=False)
        for marker in secret_markers:
            assert marker not in body, f"{name} shows {marker}"
    wall = {e["amount"]["amount"] if e["amount"] else None: e for e in seen["wall"].json["data"]}
    assert wall[1234]["donor_name"] is None and wall[1234]["anonymous"] is True
    assert wall[1234]["message"] == "Con affetto"
    assert wall[2000]["donor_name"].startswith(named.first_name)
    assert wall[None]["donor_name"].startswith(amount_hidden.first_name)  # name only: no amount
    assert sorted(wall, key=str) == [1234, 2000, None]
    # The donor sees their own donation, of course.
    mine = client.get("/v1/campaigns/donations", headers=auth(shy)).json["data"]
    assert [d["amount"]["amount"] for d in mine] == [1234]


def test_my_export_has_my_donations_and_nobody_elses(client, db):
    world = make_world(db, patrons=2)
    campaign = make_campaign(db, world, art_bonus=True)
    donate(
        client, world.patrons[0], campaign, 1000, visibility="anonymous", art_bonus=True, tax_code="RSSMRA85T10A562S"
    )
    donate(client, world.patrons[1], campaign, 2000)
    mine = client.get("/v1/me/export", headers=auth(world.patrons[0])).json["campaigns"]["donations"]
    assert [(d["amount"]["amount"], d["tax_code"]) for d in mine] == [(1000, "RSSMRA85T10A562S")]
    theirs = client.get("/v1/me/export", headers=auth(world.patrons[1])).json
    assert "RSSMRA85T10A562S" not in json.dumps(theirs)


def _text(response) -> str:
    """What a page, a JSON answer or an exported file shows, as text (an XLSX: every cell)."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    return response.get_data().decode("utf-8-sig")


def test_anonymous_never_leaks_through_finance_exports_the_staff_console_or_the_art_bonus_report(app, client, db):
    """Finance reconciles every euro and the owner files its Art Bonus list, and still nobody can
    tell who gave a donation the wall shows as anonymous: not by name, email, card or patron id."""
    world = make_world(db, patrons=4, funds=0)
    shy, named, amount_hidden, taxpayer = world.patrons
    shy.first_name, shy.last_name = "Segretissima", "Nascosta"
    taxpayer.first_name, taxpayer.last_name = "Riservato", "Contribuente"
    for patron in world.patrons:  # funded last month: this month the donors' wallets only give
        top_up(db, patron, 10_000, dated=inside(last_month(), 3))
    finance = make_staff(db, "finance", world.network)
    db.commit()
    keep = make_campaign(db, world, art_bonus=True)
    pledges = make_campaign(db, world, model="all_or_nothing", goal=500)
    shy_gifts = [
        donate(client, shy, keep, 1234, visibility="anonymous", message="Con affetto"),
        donate(client, shy, pledges, 600, visibility="anonymous"),
    ]
    named_gifts = [
        donate(client, named, keep, 2000, art_bonus=True, tax_code="RSSMRA85T10A562S"),
        donate(client, named, pledges, 400),
    ]
    donate(client, amount_hidden, keep, 777, visibility="name_only")
    filed = donate(client, taxpayer, keep, 1500, visibility="anonymous", art_bonus=True, tax_code="BNCGLI90A41F205H")
    assert all(r.status_code == 201 for r in [*shy_gifts, *named_gifts, filed])
    # The all-or-nothing campaign reaches its goal: the pledges are collected from the wallets.
    db.execute(update(Campaign).where(Campaign.id == pledges.id).values(deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    assert close_due_campaigns(db)["settled"] == 1
    db.commit()
    app.extensions["borsellino.db"].run_in_transaction(receipts.issue_pending_receipts)
    month, now = month_of(utcnow()), utcnow().astimezone(ROME)

    def markers(patron):
        return [patron.first_name, patron.last_name, patron.public_id, patron.card_number, patron.email]

    seen = {}
    for report in REPORTS:
        for fmt in ("json", "csv", "csv_it", "xlsx"):
            seen[f"api {report}.{fmt}"] = client.get(
                f"/v1/finance/reports/{month}/{report}?format={fmt}&lang=it", headers=auth(finance)
            )
    art_bonus_api = client.get(
        f"/v1/campaigns/manage/art-bonus-report?library_id={world.library.public_id}&year={now.year}&month={now.month}",
        headers=auth(world.librarian),
    )
    finance_console, staff_console = app.test_client(), app.test_client()
    console_sign_in(finance_console, finance)
    seen["console finance"] = finance_console.get(f"/console/finance?month={month}")
    seen["console audit"] = finance_console.get("/console/finance/audit")
    for report in REPORTS:
        for fmt in ("csv", "csv_it", "xlsx"):
            seen[f"console {report}.{fmt}"] = finance_console.get(f"/console/finance/reports/{month}/{report}.{fmt}")
    console_sign_in(staff_console, world.librarian)
    seen["console campaigns"] = staff_console.get("/console/campaigns")
    for campaign in (keep, pledges):
        seen[f"console {campaign.public_id}"] = staff_console.get(f"/console/campaigns/{campaign.public_id}")
    art_bonus_console = staff_console.get(f"/console/campaigns/art-bonus-report?library_id={world.library.public_id}")

    texts = {name: _text(response) for name, response in seen.items()}
    for name, response in {**seen, "art_bonus_api": art_bonus_api, "art_bonus_console": art_bonus_console}.items():
        assert response.status_code == 200, name
        text = texts.get(name) or _text(response)
        for marker in [*markers(shy), taxpayer.public_id, taxpayer.card_number, taxpayer.email]:
            assert marker not in text, f"{name} shows {marker}"
    # Who asked for an Art Bonus receipt is on the owner's list for the tax declaration, flagged
    # not to publish, even when anonymous on the wall; nowhere else.
    filed_rows = [d for d in art_bonus_api.json["donations"] if d["anonymous"]]
    assert [(d["donor_name"], d["tax_code"]) for d in filed_rows] == [(taxpayer.display_name, "BNCGLI90A41F205H")]
    assert "Riservato" in _text(art_bonus_console) and "anonimo: non pubblicare" in _text(art_bonus_console)
    for name, text in texts.items():
        assert "Riservato" not in text and "Contribuente" not in text, name
    # Named donors are shown where they should be: the owner's pages and lists, the journal.
    assert named.display_name in _text(art_bonus_console) and named.display_name in texts[f"console {keep.public_id}"]
    assert "Anonimo" in texts[f"console {keep.public_id}"]

    # The journal balances; the patron's side of an anonymous donation is wallet:anonymous, of a
    # named one the donor's wallet.
    journal = list(csv.DictReader(io.StringIO(texts["api journal.csv"])))
    assert sum(int(r["debit_cents"]) for r in journal) == sum(int(r["credit_cents"]) for r in journal) > 0
    by_reference: dict[str, set[str]] = {}
    for row in journal:
        if row["account"].startswith("wallet:"):
            by_reference.setdefault(row["reference"], set()).add(row["account"])
    anonymous_ids = {r.json["donation"]["id"] for r in [*shy_gifts, filed]}
    assert {by_reference[i].pop() for i in anonymous_ids} == {"wallet:anonymous"}
    assert {by_reference[r.json["donation"]["id"]].pop() for r in named_gifts} == {f"wallet:{named.public_id}"}
    # The public wall names its entries by ids of its own, which no report, export or staff page
    # knows: nothing there can be matched to a wall entry by its id.
    wall = client.get(f"/v1/campaigns/{keep.public_id}/donors").json["data"]
    wall_ids = {entry["id"] for entry in wall}
    assert len(wall_ids) == len(wall) == 4 and all(i.startswith("wall_") for i in wall_ids)
    for name, text in texts.items():
        assert not [i for i in wall_ids if i in text], f"{name} shows a wall id"
    # What the wallets gave is all there, per kind: the anonymous lines add up to the anonymous gifts,
    # and the trial balance has one line for every patron's wallet, equal to the wallet float.
    anonymous_debits = sum(int(r["debit_cents"]) for r in journal if r["account"] == "wallet:anonymous")
    assert anonymous_debits == 1234 + 600 + 1500
    trial = seen["api trial_balance.json"].json["rows"]
    wallets = [row for row in trial if row[1] == "wallet"]
    float_rows = seen["api wallet_float.json"].json["rows"]
    assert wallets == [["wallet:patrons", "wallet", "", 0, float_rows[1][2]]]
    assert float_rows[1][2] == 4 * 10_000 - (1234 + 600 + 2000 + 400 + 777 + 1500)
