"""The console pages of +Teca: a librarian creates, launches, moderates and reads the Art Bonus report."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from backend.campaigns.models import Campaign, CampaignUpdate, Donation
from backend.notify.models import Notification
from tests.campaigns.helpers import console_sign_in, csrf_of, donate, make_campaign, make_world


def test_a_librarian_runs_a_campaign_from_the_console(client, db):
    world = make_world(db, patrons=1)
    console_sign_in(client, world.librarian)
    index = client.get("/console/campaigns")
    assert index.status_code == 200 and "Nuova campagna" in index.get_data(as_text=True)
    token = csrf_of(client, "/console/campaigns")
    bad = client.post(
        "/console/campaigns",
        data={
            "csrf_token": token,
            "library_id": world.library.public_id,
            "title": "Cuscini",
            "goal": "500,00",
            "deadline": "domani",
        },
    )
    assert bad.status_code == 400
    created = client.post(
        "/console/campaigns",
        data={
            "csrf_token": token,
            "library_id": world.library.public_id,
            "title": "Cuscini",
            "goal": "500,00",
            "deadline": "2099-12-31 23:59",
            "model": "keep_it_all",
        },
    )
    assert created.status_code == 302
    db.rollback()
    campaign = db.scalar(select(Campaign).where(Campaign.title == "Cuscini"))
    assert campaign.goal == 50_000 and campaign.state == "draft"
    db.commit()
    detail_path = f"/console/campaigns/{campaign.public_id}"
    launched = client.post(f"{detail_path}/launch", data={"csrf_token": token})
    assert launched.status_code == 302
    assert "in corso" in client.get(detail_path).get_data(as_text=True)

    donate(client, world.patrons[0], campaign, 1000, visibility="anonymous", message="Bravi")
    page = client.get(detail_path).get_data(as_text=True)
    assert "Anonimo" in page and world.patrons[0].last_name not in page and "Bravi" in page
    donation_id = re.search(r"/console/campaigns/donations/(don_[0-9a-f]+)/moderation", page).group(1)
    approved = client.post(
        f"/console/campaigns/donations/{donation_id}/moderation", data={"csrf_token": token, "approve": "1"}
    )
    assert approved.status_code == 302
    wall = client.get(f"/v1/campaigns/{campaign.public_id}/donors").json["data"]
    assert wall[0]["message"] == "Bravi"
    posted = client.post(f"{detail_path}/updates", data={"csrf_token": token, "body": "Grazie!"})
    assert posted.status_code == 302
    report = client.get(f"/console/campaigns/art-bonus-report?library_id={world.library.public_id}")
    assert report.status_code == 200 and "Rapporto Art Bonus" in report.get_data(as_text=True)


def test_another_librarys_campaign_is_not_found_in_the_console(client, db):
    world = make_world(db, patrons=0)
    campaign = make_campaign(db, world)
    console_sign_in(client, world.other_librarian)
    assert client.get(f"/console/campaigns/{campaign.public_id}").status_code == 404
    token = csrf_of(client, "/console/campaigns")
    assert client.post(f"/console/campaigns/{campaign.public_id}/launch", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/console/campaigns/art-bonus-report?library_id={world.library.public_id}").status_code == 404


def _campaigns(db) -> list[tuple[str, str]]:
    db.rollback()
    out = [(c.title, c.state) for c in db.scalars(select(Campaign).order_by(Campaign.id))]
    db.commit()
    return out


def _count(db, model) -> int:
    db.rollback()
    out = db.scalar(select(func.count()).select_from(model))
    db.commit()
    return out


def _error_of(response) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize(
    ("changes", "it", "en"),
    [
        ({"deadline": "0001-01-01 00:30"}, "Scadenza non valida", "Invalid deadline"),
        ({"deadline": "9999-12-31 23:59"}, "anni 1900–2999", "years 1900–2999"),
        ({"deadline": "domani"}, "usa la forma 2026-12-31 23:59", "use the form 2026-12-31 23:59"),
        ({"model": "bogus"}, "Modello non valido", "Invalid model"),
        ({"title": "   "}, "Dai un titolo alla campagna.", "Give the campaign a title."),
        ({"goal": "-5"}, "Importo non valido", "Invalid amount"),
    ],
    ids=["year_1", "year_9999", "not_a_date", "bogus_model", "blank_title", "negative_goal"],
)
def test_a_bad_new_campaign_form_is_refused_with_its_reason_and_nothing_is_created(client, db, changes, it, en):
    world = make_world(db, patrons=0)
    world.other_librarian.libraries.append(world.library)
    world.other_librarian.language = "en"
    db.commit()
    form = {
        "library_id": world.library.public_id,
        "title": "Cuscini",
        "goal": "500,00",
        "deadline": "2099-12-31 23:59",
        "model": "keep_it_all",
        **changes,
    }
    for staff, expected in ((world.librarian, it), (world.other_librarian, en)):
        console_sign_in(client, staff)
        token = csrf_of(client, "/console/campaigns")
        refused = client.post("/console/campaigns", data={"csrf_token": token, **form})
        assert refused.status_code == 400
        assert expected in _error_of(refused), _error_of(refused)
        assert _campaigns(db) == []
        client.post("/console/logout", data={"csrf_token": token})
    # The same form with nothing wrong creates the draft.
    console_sign_in(client, world.librarian)
    token = csrf_of(client, "/console/campaigns")
    fixed = {**form, "deadline": "2099-12-31 23:59", "model": "all_or_nothing", "title": "Cuscini", "goal": "500,00"}
    assert client.post("/console/campaigns", data={"csrf_token": token, **fixed}).status_code == 302
    assert _campaigns(db) == [("Cuscini", "draft")]


def test_an_empty_update_or_a_moderation_with_no_choice_is_refused_with_its_reason_and_changes_nothing(client, db):
    world = make_world(db, patrons=1)
    campaign = make_campaign(db, world)
    donation_id = donate(client, world.patrons[0], campaign, 1000, message="Bravi").json["donation"]["id"]
    console_sign_in(client, world.librarian)
    path = f"/console/campaigns/{campaign.public_id}"
    token = csrf_of(client, path)
    notifications = _count(db, Notification)

    empty = client.post(f"{path}/updates", data={"csrf_token": token, "body": "  \n "})
    assert empty.status_code == 400
    assert _error_of(empty) == "Scrivi il testo dell'aggiornamento: uno vuoto non si pubblica."
    undecided = client.post(
        f"/console/campaigns/donations/{donation_id}/moderation", data={"csrf_token": token, "approve": "forse"}
    )
    assert undecided.status_code == 400
    assert _error_of(undecided) == "Scegli se approvare o rifiutare il messaggio."
    assert _count(db, CampaignUpdate) == 0 and _count(db, Notification) == notifications
    assert db.scalar(select(Donation.message_status).where(Donation.public_id == donation_id)) == "pending"
    db.commit()
    assert client.get(f"/v1/campaigns/{campaign.public_id}/donors").json["data"][0]["message"] is None

    client.post("/console/language", data={"csrf_token": token, "lang": "en"})
    in_english = client.post(f"{path}/updates", data={"csrf_token": token, "body": ""})
    assert in_english.status_code == 400
    assert _error_of(in_english) == "Write the update's text: an empty one is not posted."


@pytest.mark.parametrize(
    "query",
    ["month=13", "year=abc", "month=0", "year=1999", "year=2101", "month=1_2", "year=%D9%A2%D9%A0%D9%A2%D9%A6"],
    ids=["month_13", "year_abc", "month_0", "year_1999", "year_2101", "month_underscore", "year_arabic_digits"],
)
def test_a_bad_year_or_month_of_the_art_bonus_report_is_refused_not_replaced_by_this_month(client, db, query):
    world = make_world(db, patrons=0)
    console_sign_in(client, world.librarian)
    path = f"/console/campaigns/art-bonus-report?library_id={world.library.public_id}"
    refused = client.get(f"{path}&{query}")
    assert refused.status_code == 400
    assert _error_of(refused) == "Periodo non valido: l'anno va da 2000 a 2100, il mese da 1 a 12."
    assert 'id="report"' not in refused.get_data(as_text=True)
    token = csrf_of(client, path)
    client.post("/console/language", data={"csrf_token": token, "lang": "en"})
    in_english = client.get(f"{path}&{query}")
    assert in_english.status_code == 400
    assert _error_of(in_english) == "Not a valid period: the year goes from 2000 to 2100, the month from 1 to 12."
    # A good period shows that month's report.
    good = client.get(f"{path}&year=2026&month=3")
    assert good.status_code == 200 and "03/2026" in good.get_data(as_text=True)
    assert 'id="report"' in good.get_data(as_text=True)
