"""Recurring donations: once per period whoever runs the job, retry once, then pause."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.campaigns import recurring
from backend.campaigns.models import Donation, RecurringDonation
from backend.db import utcnow
from backend.notify.models import Notification
from tests.campaigns.helpers import assert_audit_clean, auth, balance, key, make_campaign, make_world


def _start(client, patron, campaign, amount=1000, interval="monthly"):
    response = client.post(
        f"/v1/campaigns/{campaign.public_id}/recurring",
        json={"amount": {"amount": amount, "currency": "EUR"}, "interval": interval},
        headers={**auth(patron), **key()},
    )
    assert response.status_code == 201, response.json
    return response.json


def _run(app, now=None):
    database, settings = app.extensions["borsellino.db"], app.config["SETTINGS"]
    return database.run_in_transaction(lambda s: recurring.run_due(s, settings, now=now))


def _periods(db):
    db.rollback()
    out = sorted(db.scalars(select(Donation.period)))
    db.commit()
    return out


def test_a_monthly_donation_runs_once_per_month(app, client, db):
    world = make_world(db, patrons=1, funds=5000)
    campaign = make_campaign(db, world, days=120)
    patron = world.patrons[0]
    made = _start(client, patron, campaign)
    assert made["state"] == "active"
    assert _run(app)["charged"] == 1
    assert _run(app)["charged"] == 0  # same period: nothing more
    assert balance(db, patron) == (4000, 0)
    db.rollback()
    due = db.scalar(select(RecurringDonation.next_run_at))
    db.commit()
    assert timedelta(days=27) < due - utcnow() < timedelta(days=32)
    assert _run(app, now=due + timedelta(minutes=1))["charged"] == 1
    assert len(_periods(db)) == 2 and len(set(_periods(db))) == 2
    assert balance(db, patron) == (3000, 0)
    assert_audit_clean(db)


def test_an_empty_wallet_notifies_retries_once_then_pauses(app, client, db):
    world = make_world(db, patrons=1, funds=500)
    campaign = make_campaign(db, world, days=120)
    patron = world.patrons[0]
    made = _start(client, patron, campaign, amount=1000)
    assert _run(app)["failed"] == 1
    db.rollback()
    retry_at = db.scalar(select(RecurringDonation.next_run_at))
    assert db.query(Notification).filter_by(patron_id=patron.id, kind="recurring_failed").count() == 1
    db.commit()
    assert _run(app)["charged"] == 0  # not before the retry
    assert _run(app, now=retry_at + timedelta(minutes=1))["paused"] == 1
    mine = client.get("/v1/campaigns/recurring", headers=auth(patron)).json["data"][0]
    assert mine["state"] == "paused"
    db.rollback()
    assert db.query(Notification).filter_by(patron_id=patron.id, kind="recurring_paused").count() == 1
    db.commit()
    assert _run(app, now=retry_at + timedelta(days=40))["charged"] == 0  # paused: never charged
    assert balance(db, patron) == (500, 0)
    # The donor tops up and resumes: charged for the period once.
    from tests.support.ledger import fund_wallet

    fund_wallet(db, patron, 1000)
    db.commit()
    resumed = client.post(f"/v1/campaigns/recurring/{made['id']}/resume", headers=auth(patron))
    assert resumed.status_code == 200 and resumed.json["state"] == "active"
    assert _run(app)["charged"] == 1
    assert balance(db, patron) == (500, 0)
    stopped = client.post(f"/v1/campaigns/recurring/{made['id']}/stop", headers=auth(patron))
    assert stopped.json["state"] == "stopped"
    again = client.post(f"/v1/campaigns/recurring/{made['id']}/stop", headers=auth(patron))
    assert again.status_code == 422 and again.json["error"]["code"] == "recurring_not_changeable"
    # Paused and stopped by the donor: nothing says it ended on its own.
    assert _notes(db, patron, "recurring_stopped") == []


def test_another_patron_cannot_stop_my_recurring_donation(app, client, db):
    world = make_world(db, patrons=2, funds=5000)
    campaign = make_campaign(db, world, days=120)
    made = _start(client, world.patrons[0], campaign)
    response = client.post(f"/v1/campaigns/recurring/{made['id']}/stop", headers=auth(world.patrons[1]))
    assert response.status_code == 404
    assert client.get("/v1/campaigns/recurring", headers=auth(world.patrons[0])).json["data"][0]["state"] == "active"


def _notes(db, patron, kind):
    db.rollback()
    out = [(n.title, n.body) for n in db.scalars(select(Notification).filter_by(patron_id=patron.id, kind=kind))]
    db.commit()
    return out


@pytest.fixture
def email_on(app):
    """The deployment sends email (SMTP configured), as notify() reads it from the database's session info."""
    from backend.web.app import configure_database

    original, database = app.config["SETTINGS"], app.extensions["borsellino.db"]
    app.config["SETTINGS"] = original.with_overrides(smtp_host="127.0.0.1")
    configure_database(database, app.config["SETTINGS"])
    yield
    app.config["SETTINGS"] = original
    configure_database(database, original)


def test_a_recurring_donation_stops_when_the_campaign_ends_and_the_donor_is_told(app, client, db, email_on):
    from backend.notify.models import Delivery

    world = make_world(db, patrons=2, funds=5000)
    campaign = make_campaign(db, world, days=20)
    italian, english = world.patrons
    english.language = "en"
    db.commit()
    no_email = client.patch("/v1/notifications/preferences", json={"email": False}, headers=auth(english))
    assert no_email.status_code == 200 and no_email.json["email"] is False
    for patron in world.patrons:
        _start(client, patron, campaign)
    assert _run(app)["charged"] == 2
    assert _notes(db, italian, "recurring_stopped") == []
    assert _run(app, now=utcnow() + timedelta(days=40))["stopped"] == 2
    assert _run(app, now=utcnow() + timedelta(days=80))["stopped"] == 0
    # As the pause is: in the inbox always, by email as each donor chose.
    db.rollback()
    emailed = db.scalars(
        select(Notification.patron_id).join(Delivery).where(Notification.kind == "recurring_stopped")
    ).all()
    db.commit()
    assert emailed == [italian.id]
    for patron in world.patrons:
        assert balance(db, patron) == (4000, 0)
        assert client.get("/v1/campaigns/recurring", headers=auth(patron)).json["data"][0]["state"] == "stopped"
    assert _notes(db, italian, "recurring_stopped") == [
        (
            "Donazione periodica terminata: Angolo bimbi",
            "La donazione periodica di 10,00\xa0€ a «Angolo bimbi» è terminata: non ti sarà più addebitata. "
            "Motivo: la campagna si è conclusa e non accetta più donazioni.",
        )
    ]
    assert _notes(db, english, "recurring_stopped") == [
        (
            "Recurring donation ended: Angolo bimbi",
            'Your recurring donation of €10.00 to "Angolo bimbi" has ended and will not be charged again. '
            "Reason: the campaign has ended and no longer accepts donations.",
        )
    ]
    inbox = client.get("/v1/notifications", headers=auth(english)).json["data"]
    assert [n["kind"] for n in inbox if n["kind"].startswith("recurring")] == ["recurring_stopped"]


def test_a_refusal_other_than_an_empty_wallet_stops_it_and_says_why(app, client, db):
    from dataclasses import replace

    world = make_world(db, patrons=1, funds=5000)
    campaign = make_campaign(db, world, days=120)
    patron = world.patrons[0]
    _start(client, patron, campaign, amount=1000)
    # The network lowered the largest donation below this one's amount.
    settings = replace(app.config["SETTINGS"], donation_max_amount=500)
    database = app.extensions["borsellino.db"]
    assert database.run_in_transaction(lambda s: recurring.run_due(s, settings))["stopped"] == 1
    assert balance(db, patron) == (5000, 0)
    [(title, body)] = _notes(db, patron, "recurring_stopped")
    assert title == "Donazione periodica terminata: Angolo bimbi"
    assert body.endswith("Motivo: La donazione deve essere tra 1,00\xa0€ e 5,00\xa0€.")
    assert _notes(db, patron, "recurring_failed") == [] and _notes(db, patron, "recurring_paused") == []
    assert _run(app, now=utcnow() + timedelta(days=40))["charged"] == 0


@pytest.mark.postgres_only
def test_two_schedulers_at_once_charge_each_period_once(app, client, db):
    world = make_world(db, patrons=6, funds=5000)
    campaign = make_campaign(db, world, days=120)
    for patron in world.patrons:
        _start(client, patron, campaign)
    barrier, results, errors = threading.Barrier(2), [], []

    def scheduler():
        with app.app_context():
            barrier.wait()
            try:
                results.append(_run(app))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["charged"] for r in results) == 6
    db.rollback()
    assert db.scalar(select(Donation.id).where(Donation.recurring_id.is_(None))) is None
    assert len(_periods(db)) == 6
    for patron in world.patrons:
        assert balance(db, patron) == (4000, 0)
    assert_audit_clean(db)


CF = "RSSMRA85T10A562S"


def _start_art_bonus(client, patron, campaign, **body):
    return client.post(
        f"/v1/campaigns/{campaign.public_id}/recurring",
        json={"amount": {"amount": 1000, "currency": "EUR"}, "interval": "monthly", **body},
        headers={**auth(patron), **key()},
    )


def test_a_monthly_art_bonus_donation_gets_an_art_bonus_receipt_every_month(app, client, db, caplog):
    import json
    import logging

    from backend.campaigns import receipts

    caplog.set_level(logging.DEBUG)
    world = make_world(db, patrons=1, funds=5000)  # card money: eligible in full
    campaign = make_campaign(db, world, days=120, art_bonus=True)
    patron = world.patrons[0]
    made = _start_art_bonus(client, patron, campaign, art_bonus=True, tax_code=CF.lower())
    assert made.status_code == 201, made.json
    assert made.json["art_bonus"] is True
    listed = client.get("/v1/campaigns/recurring", headers=auth(patron))
    assert listed.json["data"][0]["art_bonus"] is True
    for response in (made, listed):
        assert CF not in json.dumps(response.json).upper()

    assert _run(app)["charged"] == 1
    db.rollback()
    due = db.scalar(select(RecurringDonation.next_run_at))
    db.commit()
    assert _run(app, now=due + timedelta(minutes=1))["charged"] == 1
    app.extensions["borsellino.db"].run_in_transaction(receipts.issue_pending_receipts)
    mine = client.get("/v1/campaigns/donations", headers=auth(patron)).json["data"]
    assert [(d["art_bonus"], d["art_bonus_eligible"]) for d in mine] == [
        (True, {"amount": 1000, "currency": "EUR"})
    ] * 2
    for donation in mine:
        assert CF not in json.dumps(donation)
        html = client.get(f"/v1/campaigns/donations/{donation['id']}/receipt?lang=it", headers=auth(patron))
        text = html.get_data(as_text=True)
        assert "Ricevuta di erogazione liberale – Art Bonus" in text and CF in text
    assert balance(db, patron) == (3000, 0)
    # The donor's own copy of their data has it; no log line ever had it.
    export = client.get("/v1/me/export", headers=auth(patron)).json["campaigns"]["recurring_donations"]
    assert [(r["art_bonus"], r["tax_code"]) for r in export] == [(True, CF)]
    assert caplog.records and all(CF not in str(vars(record)).upper() for record in caplog.records)

    # Stopped for good: the codice fiscale has no purpose left and is erased; the receipts keep theirs.
    stopped = client.post(f"/v1/campaigns/recurring/{made.json['id']}/stop", headers=auth(patron))
    assert stopped.json["state"] == "stopped"
    db.rollback()
    assert db.scalar(select(RecurringDonation.tax_code)) is None
    assert sorted(db.scalars(select(Donation.tax_code))) == [CF, CF]
    db.commit()


def test_a_recurring_art_bonus_request_is_checked_as_a_one_off_donation_and_bad_ones_create_nothing(app, client, db):
    world = make_world(db, patrons=1, funds=5000)
    eligible = make_campaign(db, world, days=120, art_bonus=True)
    plain = make_campaign(db, world, days=120)
    patron = world.patrons[0]
    for campaign, body, code in (
        (eligible, {"art_bonus": True, "tax_code": "RSSMRA85T10A562X"}, "invalid_tax_code"),
        (eligible, {"art_bonus": True}, "tax_code_required"),
        (eligible, {"art_bonus": True, "tax_code": ""}, "tax_code_required"),
        (plain, {"art_bonus": True, "tax_code": CF}, "art_bonus_not_available"),
    ):
        refused = _start_art_bonus(client, patron, campaign, **body)
        one_off = client.post(
            f"/v1/campaigns/{campaign.public_id}/donations",
            json={"amount": {"amount": 1000, "currency": "EUR"}, **body},
            headers={**auth(patron), **key()},
        )
        assert (refused.status_code, refused.json["error"]["code"]) == (422, code), body
        assert (one_off.status_code, one_off.json["error"]) == (refused.status_code, refused.json["error"])
    not_a_flag = _start_art_bonus(client, patron, eligible, art_bonus="yes", tax_code=CF)
    assert not_a_flag.status_code == 400 and not_a_flag.json["error"]["param"] == "art_bonus"
    db.rollback()
    assert db.scalar(select(RecurringDonation.id)) is None
    db.commit()
    assert _run(app) == {"charged": 0, "failed": 0, "paused": 0, "stopped": 0, "skipped": 0}
    assert balance(db, patron) == (5000, 0)
    # A codice fiscale sent without asking for the Art Bonus is not kept.
    assert _start_art_bonus(client, patron, eligible, tax_code=CF).status_code == 201
    db.rollback()
    assert db.scalar(select(RecurringDonation.tax_code)) is None
    db.commit()
    _run(app)
    db.rollback()
    assert db.scalar(select(Donation.tax_code)) is None and db.scalar(select(Donation.art_bonus_requested)) is False
    db.commit()


def test_deleting_the_account_stops_its_recurring_donations_and_erases_their_tax_code(app, client, db):
    from tests.support.ledger import fund_wallet

    world = make_world(db, patrons=2, funds=1000)
    campaign = make_campaign(db, world, days=400, art_bonus=True)
    other_campaign = make_campaign(db, world, days=400, art_bonus=True)
    leaving, staying = world.patrons
    monthly = _start_art_bonus(client, leaving, campaign, art_bonus=True, tax_code=CF)
    yearly = _start_art_bonus(
        client, leaving, other_campaign, art_bonus=True, tax_code="BNCGLI90A41F205H", interval="yearly"
    )
    theirs = _start_art_bonus(
        client, staying, campaign, art_bonus=True, tax_code=CF, amount={"amount": 100, "currency": "EUR"}
    )
    assert {monthly.status_code, yearly.status_code, theirs.status_code} == {201}
    # The monthly one empties the wallet; the yearly one then fails, and fails again: paused.
    assert _run(app) == {"charged": 2, "failed": 1, "paused": 0, "stopped": 0, "skipped": 0}
    assert _run(app, now=utcnow() + timedelta(days=1, minutes=1))["paused"] == 1
    assert balance(db, leaving) == (0, 0)

    # While the wallet still holds money the deletion is refused, and nothing stops.
    fund_wallet(db, leaving, 300)
    db.commit()
    refused = client.delete("/v1/me", headers=auth(leaving))
    assert refused.status_code == 422 and refused.json["error"]["code"] == "wallet_not_empty"
    states = {r["id"]: r["state"] for r in client.get("/v1/campaigns/recurring", headers=auth(leaving)).json["data"]}
    assert states == {monthly.json["id"]: "active", yearly.json["id"]: "paused"}
    # The donor gives the rest and deletes the account.
    assert (
        client.post(
            f"/v1/campaigns/{campaign.public_id}/donations",
            json={"amount": {"amount": 300, "currency": "EUR"}},
            headers={**auth(leaving), **key()},
        ).status_code
        == 201
    )
    assert client.delete("/v1/me", headers=auth(leaving)).status_code == 204

    db.rollback()
    rows = {r.public_id: r for r in db.scalars(select(RecurringDonation))}
    assert [(rows[r.json["id"]].state, rows[r.json["id"]].tax_code) for r in (monthly, yearly)] == [
        ("stopped", None),
        ("stopped", None),
    ]
    assert (rows[theirs.json["id"]].state, rows[theirs.json["id"]].tax_code) == ("active", CF)  # another donor's
    notices_before = db.query(Notification).filter_by(patron_id=leaving.id).count()
    given_before = db.query(Donation).filter_by(patron_id=leaving.id).count()
    db.commit()
    # Money reaching the wallet afterwards (a late top-up) is never taken by the scheduler, in any period.
    fund_wallet(db, leaving, 5000)
    db.commit()
    for days in (2, 40, 370):
        counts = _run(app, now=utcnow() + timedelta(days=days))
        assert (counts["failed"], counts["paused"], counts["stopped"]) == (0, 0, 0)
    assert balance(db, leaving) == (5000, 0)
    db.rollback()
    assert db.query(Donation).filter_by(patron_id=leaving.id).count() == given_before
    assert db.query(Notification).filter_by(patron_id=leaving.id).count() == notices_before
    assert db.query(Donation).filter_by(patron_id=staying.id).count() == 3  # the other donor's still runs
    db.commit()
