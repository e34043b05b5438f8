"""The month's reports carry the campaigns' closing transfers and the Art Bonus totals."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import update

from backend.campaigns.closing import close_due_campaigns
from backend.campaigns.models import Campaign, Donation
from backend.db import utcnow
from backend.i18n import ROME
from backend.ledger.periods import month_of
from tests.campaigns.helpers import assert_audit_clean, auth, donate, make_campaign, make_world
from tests.finance.helpers import inside, last_month
from tests.support.factories import make_staff
from tests.support.ledger import fund_wallet

CF = "RSSMRA85T10A562S"


@pytest.fixture
def closed_campaigns(client, db):
    """Two campaigns closed this month: an Art Bonus one at the first library (40 € + 15 € with the
    Art Bonus, 10 € of Giulia's paid from cash, so not eligible; 5 € without), and a plain one at the
    other library (12 €). One more Art Bonus donation dated last month is in neither total."""
    world = make_world(db, patrons=2, funds=0)
    giulia, marco = world.patrons
    fund_wallet(db, giulia, 3000, source="card")
    fund_wallet(db, giulia, 2500, source="cash")
    fund_wallet(db, marco, 5000, source="card")
    db.commit()
    art = make_campaign(db, world, art_bonus=True)
    plain = make_campaign(db, world, library=world.other_library)
    assert donate(client, giulia, art, 4000, art_bonus=True, tax_code=CF).status_code == 201
    assert donate(client, marco, art, 1500, art_bonus=True, tax_code="BNCGLI90A41F205H").status_code == 201
    assert donate(client, marco, art, 500).status_code == 201
    assert donate(client, marco, plain, 1200).status_code == 201
    old = donate(client, giulia, art, 1000, art_bonus=True, tax_code=CF)
    assert old.status_code == 201
    db.execute(
        update(Donation)
        .where(Donation.public_id == old.json["donation"]["id"])
        .values(succeeded_at=inside(last_month(), 10))
    )
    db.execute(
        update(Campaign).where(Campaign.id.in_([art.id, plain.id])).values(deadline=utcnow() - timedelta(minutes=1))
    )
    db.commit()
    assert close_due_campaigns(db)["settled"] == 2
    db.commit()
    finance = make_staff(db, "finance", world.network)
    db.commit()
    return world, art, plain, finance


def _get(client, who, report, fmt="json", month=None, lang="it"):
    month = month or month_of(utcnow())
    return client.get(f"/v1/finance/reports/{month}/{report}?format={fmt}&lang={lang}", headers=auth(who))


def test_the_closing_transfers_are_in_the_months_report_and_files(client, db, closed_campaigns):
    world, art, plain, finance = closed_campaigns
    body = _get(client, finance, "campaign_closings").get_json()
    assert [c["name"] for c in body["columns"]] == ["date", "entry", "campaign", "title", "owner", "amount"]
    rows = {row[2]: row for row in body["rows"]}
    # Everything the art campaign collected (including last month's donation) moved at its close.
    assert rows[art.public_id][4:] == [world.library.name, 4000 + 1500 + 500 + 1000]
    assert rows[plain.public_id][4:] == [world.other_library.name, 1200]
    assert rows[art.public_id][0] == utcnow().astimezone(ROME).date().isoformat()

    machine = list(
        csv.DictReader(io.StringIO(_get(client, finance, "campaign_closings", "csv").get_data(as_text=True)))
    )
    assert sum(int(r["amount_cents"]) for r in machine) == 8200
    italian = _get(client, finance, "campaign_closings", "csv_it").get_data(as_text=True).lstrip("\ufeff")
    lines = list(csv.reader(io.StringIO(italian), delimiter=";"))
    assert lines[0][-1] == "Trasferito alle entrate"
    assert sorted(line[-1] for line in lines[1:]) == ["12,00", "70,00"]
    sheet = openpyxl.load_workbook(
        io.BytesIO(_get(client, finance, "campaign_closings", "xlsx", lang="en").data)
    ).active
    assert sheet.cell(row=2, column=6).value == "Moved to income"
    assert sheet.cell(row=sheet.max_row, column=1).value == "Total"
    assert Decimal(str(sheet.cell(row=sheet.max_row, column=6).value)) == Decimal("82.00")
    # The treasury list counts the same closings among the month's operations.
    treasury = {row[0]: row for row in _get(client, finance, "treasury").get_json()["rows"]}
    assert treasury["campaign_settlement"][1:] == [2, 8200]
    assert_audit_clean(db)


def test_the_art_bonus_totals_are_the_campaigns_monthly_report_per_owner(client, db, closed_campaigns):
    world, _, _, finance = closed_campaigns
    now = utcnow().astimezone(ROME)
    theirs = client.get(
        f"/v1/campaigns/manage/art-bonus-report?library_id={world.library.public_id}&year={now.year}&month={now.month}",
        headers=auth(world.librarian),
    ).json
    body = _get(client, finance, "art_bonus").get_json()
    assert [c["name"] for c in body["columns"]] == ["owner", "donations", "amount", "eligible"]
    # Only the first library has Art Bonus donations this month; 10 € of Giulia's 40 € came from cash.
    assert body["rows"] == [[world.library.name, 2, 5500, 4500]]
    assert [len(theirs["donations"]), theirs["total"]["amount"], theirs["total_eligible"]["amount"]] == body["rows"][0][
        1:
    ]

    machine = list(csv.DictReader(io.StringIO(_get(client, finance, "art_bonus", "csv").get_data(as_text=True))))
    assert machine == [
        {"owner": world.library.name, "donations": "2", "amount_cents": "5500", "eligible_cents": "4500"}
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(_get(client, finance, "art_bonus", "xlsx").data)).active
    assert [sheet.cell(row=sheet.max_row, column=i).value for i in (1, 3, 4)] == ["Totale", 55, 45]
    # Last month holds the donation moved there (paid from the rest of her cash), and no closing.
    earlier = _get(client, finance, "art_bonus", month=last_month()).get_json()["rows"]
    assert earlier == [[world.library.name, 1, 1000, 0]]
    assert _get(client, finance, "campaign_closings", month=last_month()).get_json()["rows"] == []


def test_another_networks_finance_sees_none_of_it_and_bad_names_are_refused(client, db, closed_campaigns):
    _, _, _, finance = closed_campaigns
    stranger = make_staff(db, "finance", make_world(db, patrons=0).network)
    db.commit()
    for report in ("campaign_closings", "art_bonus"):
        response = _get(client, stranger, report)
        assert response.status_code == 200 and response.get_json()["rows"] == []
    assert _get(client, finance, "art_bonuses").status_code == 404
    bad = _get(client, finance, "art_bonus", month="2026-13")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_month"
