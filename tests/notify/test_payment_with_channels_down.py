"""A payment never waits for, nor fails with, a notification channel.

Uses the cash-desk top-up (it moves money through the ledger and enqueues
``topup_succeeded``): with SMTP, Web Push and FCM all unreachable, the top-up
commits, the patron's inbox has the receipt at once, and the outbox keeps the
deliveries for the dispatcher, which fails them into retry without touching money.
"""

from py_vapid import Vapid
from sqlalchemy import select

from backend.desk.models import Desk
from backend.desk.services import cash_topup, open_session
from backend.ledger.services import wallet_of
from backend.money import Money
from backend.notify.dispatcher import channels_for, dispatch_once
from backend.notify.models import Delivery, Notification
from backend.notify.services import register_device
from tests.notify.channels import BrowserKeys, b64url, free_port
from tests.support.factories import make_library, make_network, make_patron, make_staff


def test_cash_topup_commits_while_every_channel_is_down(app, db, configure, database):
    network = make_network(db)
    library = make_library(db, network)
    librarian = make_staff(db, "librarian", network, libraries=[library])
    patron = make_patron(db, network, language="it")
    desk = Desk(library=library, name="Cassa 1")
    db.add(desk)
    db.commit()
    vapid = Vapid()
    vapid.generate_keys()
    down = free_port()  # nothing listens: every connection is refused
    with configure(
        smtp_host="127.0.0.1",
        smtp_port=down,
        webpush_vapid_private_key=b64url(vapid.private_key.private_numbers().private_value.to_bytes(32, "big")),
        fcm_credentials_file="/nonexistent/service-account.json",
    ) as settings:
        with app.app_context():
            browser = BrowserKeys()
            register_device(
                db,
                patron,
                kind="webpush",
                address=f"http://127.0.0.1:{down}/push/1",
                p256dh=browser.p256dh,
                auth=browser.auth,
            )
            register_device(db, patron, kind="fcm", address="fcm-token-of-a-phone")
            cash = open_session(db, desk, librarian, Money(0))
            done = cash_topup(db, settings, cash, librarian, patron, Money(2000))
            db.commit()
        assert done.balance_after == Money(2000)
        inbox = db.scalars(select(Notification).where(Notification.patron_id == patron.id)).all()
        assert [n.title for n in inbox] == ["Ricarica di 20,00\xa0€ riuscita"]
        assert sorted(d.channel for d in db.scalars(select(Delivery))) == ["email", "fcm", "webpush"]
        db.rollback()
        with app.app_context():
            # FCM cannot even load its credentials: it stays out, its delivery fails like the rest.
            report = dispatch_once(database, channels_for(settings.with_overrides(fcm_credentials_file="")))
    assert report.sent == 0 and report.retried + report.dead == 3
    assert wallet_of(db, patron).balance == 2000
    assert {d.status for d in db.scalars(select(Delivery))} <= {"pending", "dead"}
