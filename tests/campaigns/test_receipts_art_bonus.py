"""Receipts (HTML + PDF, IT/EN, gap-free per owner) and the Art Bonus following the money's source."""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.campaigns import receipts
from backend.campaigns.models import Donation
from tests.campaigns.helpers import auth, balance, donate, donation_count, make_campaign, make_world
from tests.support.ledger import fund_wallet

CF = "RSSMRA85T10A562S"


def test_a_wallet_funded_half_by_cash_gets_half_the_donation_eligible(client, db):
    world = make_world(db, patrons=1, funds=0)
    patron = world.patrons[0]
    fund_wallet(db, patron, 2000, source="cash")
    fund_wallet(db, patron, 2000, source="card")
    db.commit()
    campaign = make_campaign(db, world, art_bonus=True)
    made = donate(client, patron, campaign, 4000, art_bonus=True, tax_code=CF.lower())
    assert made.status_code == 201, made.json
    assert made.json["donation"]["art_bonus_eligible"] == {"amount": 2000, "currency": "EUR"}
    donation_id = made.json["donation"]["id"]
    html = client.get(f"/v1/campaigns/donations/{donation_id}/receipt?lang=it", headers=auth(patron))
    assert html.status_code == 200 and html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    assert "Art Bonus" in text and CF in text and "Comune di Rho – Biblioteca civica" in text
    assert "Importo ammesso all&#39;Art Bonus" in text or "Importo ammesso all'Art Bonus" in text
    assert re.search(r"Non ammesso \(versato in contanti\)</th><td>20,00\xa0€", text)
    english = client.get(f"/v1/campaigns/donations/{donation_id}/receipt?lang=en", headers=auth(patron))
    assert "Amount eligible for the Art Bonus</th><td>€20.00" in english.get_data(as_text=True)
    pdf = client.get(f"/v1/campaigns/donations/{donation_id}/receipt?format=pdf", headers=auth(patron))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    db.rollback()
    assert db.scalar(select(Donation.tax_code)) == CF
    db.commit()


def test_the_tax_code_is_checked_and_kept_only_for_art_bonus(client, db):
    world = make_world(db, patrons=1)
    patron = world.patrons[0]
    eligible = make_campaign(db, world, art_bonus=True)
    plain = make_campaign(db, world)
    bad = donate(client, patron, eligible, 1000, art_bonus=True, tax_code="RSSMRA85T10A562X")
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_tax_code"
    missing = donate(client, patron, eligible, 1000, art_bonus=True)
    assert missing.status_code == 422 and missing.json["error"]["code"] == "tax_code_required"
    not_here = donate(client, patron, plain, 1000, art_bonus=True, tax_code=CF)
    assert not_here.status_code == 422 and not_here.json["error"]["code"] == "art_bonus_not_available"
    assert balance(db, patron) == (10_000, 0) and donation_count(db) == 0
    # A tax code sent without asking for the Art Bonus is not kept.
    assert donate(client, patron, eligible, 1000, tax_code=CF).status_code == 201
    db.rollback()
    assert db.scalar(select(Donation.tax_code)) is None
    db.commit()


def test_receipt_numbers_are_gap_free_per_owner_and_year(app, client, db):
    world = make_world(db, patrons=2)
    mine = make_campaign(db, world)
    theirs = make_campaign(db, world, library=world.other_library)
    for patron in world.patrons:
        donate(client, patron, mine, 1000)
        donate(client, patron, theirs, 1000)
    # A refused donation burns no number.
    assert donate(client, world.patrons[0], mine, 50).status_code == 422
    database = app.extensions["borsellino.db"]
    assert database.run_in_transaction(receipts.issue_pending_receipts) == 4
    assert database.run_in_transaction(receipts.issue_pending_receipts) == 0
    db.rollback()
    from backend.campaigns.models import DonationReceipt

    numbers = sorted(db.scalars(select(DonationReceipt.number)))
    db.commit()
    year = numbers[0].split("-")[2]
    assert numbers == sorted(
        [
            f"TECA-{world.library.code}-{year}-000001",
            f"TECA-{world.library.code}-{year}-000002",
            f"TECA-{world.other_library.code}-{year}-000001",
            f"TECA-{world.other_library.code}-{year}-000002",
        ]
    )


def test_a_pledge_has_no_receipt_until_collected(client, db):
    world = make_world(db, patrons=1)
    campaign = make_campaign(db, world, model="all_or_nothing")
    made = donate(client, world.patrons[0], campaign, 1000)
    response = client.get(
        f"/v1/campaigns/donations/{made.json['donation']['id']}/receipt", headers=auth(world.patrons[0])
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "receipt_not_ready"


def test_yearly_summary_and_monthly_art_bonus_report(client, db):
    world = make_world(db, patrons=2, funds=0)
    giulia, marco = world.patrons
    fund_wallet(db, giulia, 3000, source="card")
    fund_wallet(db, giulia, 1000, source="cash")
    fund_wallet(db, marco, 5000, source="card")
    db.commit()
    campaign = make_campaign(db, world, art_bonus=True)
    donate(client, giulia, campaign, 4000, art_bonus=True, tax_code=CF)
    donate(client, marco, campaign, 1500, visibility="anonymous", art_bonus=True, tax_code="BNCGLI90A41F205H")
    donate(client, marco, campaign, 500)  # no Art Bonus receipt asked
    from backend.db import utcnow
    from backend.i18n import ROME

    now = utcnow().astimezone(ROME)
    summary = client.get(f"/v1/campaigns/donations/summary?year={now.year}", headers=auth(giulia)).json
    assert "total" in summary, summary
    assert summary["total"]["amount"] == 4000 and summary["art_bonus_eligible"]["amount"] == 3000
    assert summary["donations"][0]["receipt_number"].startswith(f"TECA-{world.library.code}-")
    report = client.get(
        f"/v1/campaigns/manage/art-bonus-report?library_id={world.library.public_id}&year={now.year}&month={now.month}",
        headers=auth(world.librarian),
    )
    assert report.status_code == 200, report.json
    rows = report.json["donations"]
    assert [(r["amount"]["amount"], r["art_bonus_eligible"]["amount"], r["anonymous"]) for r in rows] == [
        (4000, 3000, False),
        (1500, 1500, True),
    ]
    assert rows[0]["tax_code"] == CF
    assert report.json["total_eligible"]["amount"] == 4500
    other = client.get(
        f"/v1/campaigns/manage/art-bonus-report?library_id={world.library.public_id}&year={now.year}&month={now.month}",
        headers=auth(world.other_librarian),
    )
    assert other.status_code == 404
    assert (
        client.get(f"/v1/campaigns/donations/summary?year={now.year}", headers=auth(marco)).json["art_bonus_eligible"][
            "amount"
        ]
        == 1500
    )


def test_the_receipt_number_takes_the_year_of_the_donation_in_rome(app, client, db, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    world = make_world(db, patrons=1)
    campaign = make_campaign(db, world)
    patron = world.patrons[0]
    new_year = donate(client, patron, campaign, 1000).json["donation"]["id"]
    old_year = donate(client, patron, campaign, 700).json["donation"]["id"]
    # 23:30 UTC on 31 December 2026 is 00:30 on 1 January 2027 in Rome; an hour earlier is still 2026 there.
    first_of_january = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    for public_id, moment in ((new_year, first_of_january), (old_year, first_of_january - timedelta(hours=1))):
        db.execute(update(Donation).where(Donation.public_id == public_id).values(succeeded_at=moment))
    db.commit()
    # The receipts job runs at that moment (still 2026 in UTC).
    monkeypatch.setattr(receipts, "utcnow", lambda: first_of_january + timedelta(minutes=1))
    assert app.extensions["borsellino.db"].run_in_transaction(receipts.issue_pending_receipts) == 2

    code = world.library.code
    html = client.get(f"/v1/campaigns/donations/{new_year}/receipt?lang=it", headers=auth(patron)).get_data(
        as_text=True
    )
    assert f"TECA-{code}-2027-000001" in html and "1 gennaio 2027 00:30" in html
    html = client.get(f"/v1/campaigns/donations/{old_year}/receipt?lang=it", headers=auth(patron)).get_data(
        as_text=True
    )
    assert f"TECA-{code}-2026-000001" in html and "31 dicembre 2026 23:30" in html
    # The donor's tax year and the numbering agree.
    for year, number, amount in ((2027, f"TECA-{code}-2027-000001", 1000), (2026, f"TECA-{code}-2026-000001", 700)):
        summary = client.get(f"/v1/campaigns/donations/summary?year={year}", headers=auth(patron)).json
        assert [(d["receipt_number"], d["amount"]["amount"]) for d in summary["donations"]] == [(number, amount)]
