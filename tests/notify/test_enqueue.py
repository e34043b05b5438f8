"""notify(): the inbox entry and outbox rows are written with the caller's change, in the
patron's language, honouring preferences and dedupe keys."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from backend.money import Money
from backend.notify.models import Delivery, Notification
from backend.notify.services import notify, notify_low_balance, notify_staff, update_preferences
from backend.notify.templates import TEMPLATES, TemplateDataError
from tests.support.factories import make_network, make_patron, make_staff


@pytest.fixture
def network(db):
    return make_network(db)


def test_topup_message_in_italian_with_italian_amounts(app_ctx, db, network):
    patron = make_patron(db, network, language="it")
    note = notify(db, patron, "topup_succeeded", amount=Money(1250), balance=Money(4000))
    db.commit()
    assert note.title == "Ricarica di 12,50\xa0€ riuscita"
    assert "Saldo attuale: 40,00\xa0€" in note.body
    assert note.data == {"amount": {"amount": 1250, "currency": "EUR"}, "balance": {"amount": 4000, "currency": "EUR"}}


def test_english_patron_reads_english(app_ctx, db, network):
    patron = make_patron(db, network, language="en")
    starts = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    note = notify(db, patron, "event_reminder", event_title="Book club", starts_at=starts, venue="Biblioteca di Rho")
    assert note.title == "Tomorrow: Book club"
    # 17:30 UTC is 18:30 in Rome in December.
    assert "Saturday 5 December at 18:30" in note.body


def test_wrong_data_is_refused_before_anything_is_written(app_ctx, db, network):
    patron = make_patron(db, network)
    with pytest.raises(TemplateDataError):
        notify(db, patron, "topup_succeeded", amount=1250, balance=Money(1))
    with pytest.raises(TemplateDataError):
        notify(db, patron, "topup_succeeded", amount=Money(1250))
    with pytest.raises(TemplateDataError):
        notify(db, patron, "no_such_kind")
    assert db.scalar(select(func.count()).select_from(Notification)) == 0


def test_every_kind_renders_in_both_languages():
    samples = {
        "money": Money(999),
        "when": datetime(2026, 1, 2, 9, 0, tzinfo=UTC),
        "text": "Testo",
        "count": 3,
    }
    for template in TEMPLATES.values():
        data = {name: samples[kind] for name, kind in template.fields.items()}
        it_title, it_body = template.render("it", data)
        en_title, en_body = template.render("en", data)
        assert it_title != en_title or it_body != en_body or template.kind == "campaign_update"
        assert "{" not in it_body + en_body


def test_switched_off_category_writes_nothing_but_transactional_always_goes(app_ctx, db, network):
    patron = make_patron(db, network)
    update_preferences(db, patron, {"reminders": False, "transactional": False})
    when = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    assert notify(db, patron, "event_reminder", event_title="X", starts_at=when, venue="Y") is None
    assert notify(db, patron, "fee_charged", amount=Money(200), description="Ritardo", library="Rho") is not None
    assert notify(db, patron, "partner_offer", offer_title="2x1", venue="Cinema") is None  # opt-in


def test_dedupe_key_notifies_once(app_ctx, db, network):
    patron = make_patron(db, network)
    when = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    args = dict(event_title="X", starts_at=when, venue="Y", dedupe_key="reminder:occ_1:pat_1")
    assert notify(db, patron, "event_reminder", **args) is not None
    db.commit()
    assert notify(db, patron, "event_reminder", **args) is None
    db.commit()
    assert db.scalar(select(func.count()).select_from(Notification)) == 1


def test_email_delivery_queued_only_when_smtp_is_configured(app, db, network, configure):
    patron = make_patron(db, network)
    with app.app_context():
        notify(db, patron, "topup_failed", amount=Money(500))
    assert db.scalar(select(func.count()).select_from(Delivery)) == 0
    with configure(smtp_host="127.0.0.1"), app.app_context():
        notify(db, patron, "topup_failed", amount=Money(500))
    assert [d.channel for d in db.scalars(select(Delivery))] == ["email"]


def test_low_balance_warns_once_when_crossing_the_threshold(app_ctx, db, network):
    patron = make_patron(db, network)
    update_preferences(db, patron, {"low_balance_threshold": 1000})
    assert notify_low_balance(db, patron, before=Money(3000), after=Money(1500)) is None
    note = notify_low_balance(db, patron, before=Money(1500), after=Money(800))
    assert note.title == "Saldo basso: 8,00\xa0€"
    assert notify_low_balance(db, patron, before=Money(800), after=Money(300)) is None


def test_staff_alert_goes_to_finance_and_admin_of_the_network(app_ctx, db, network):
    finance = make_staff(db, "finance", network)
    admin = make_staff(db, "admin", network)
    make_staff(db, "librarian", network)
    make_staff(db, "admin", make_network(db))
    notes = notify_staff(db, network, "ledger_audit_failed", discrepancies=2, summary="wallet pat_x: 100 != 90")
    assert {n.staff_user_id for n in notes} == {finance.id, admin.id}
    with pytest.raises(TemplateDataError):
        notify(db, make_patron(db, network), "ledger_audit_failed", discrepancies=1, summary="x")


def test_a_message_rolled_back_with_its_savepoint_does_not_stand_in_for_the_next_one(app_ctx, db, network):
    # The inbox row is written with INSERT … RETURNING, outside the unit of work; SQLite
    # reuses a rolled-back id, and the patron must still read the message that exists.
    patron = make_patron(db, network, language="en")
    with pytest.raises(RuntimeError), db.begin_nested():
        refused = notify(db, patron, "topup_succeeded", amount=Money(100), balance=Money(100))
        raise RuntimeError("payment refused after the message was queued")
    assert refused is not None  # still referenced, so still in the identity map
    note = notify(db, patron, "topup_succeeded", amount=Money(2500), balance=Money(2500))
    db.commit()
    assert "25.00" in note.title
    assert [n.title for n in db.scalars(select(Notification).where(Notification.patron_id == patron.id))] == [
        note.title
    ]
