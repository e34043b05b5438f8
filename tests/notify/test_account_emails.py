"""Account emails (verification, PIN reset) go out over SMTP through the outbox, never to the inbox."""

from __future__ import annotations

import re

from backend.notify.dispatcher import channels_for, dispatch_once
from tests.accounts_helpers import card_sign_in
from tests.notify.channels import LocalSmtpServer
from tests.support.factories import bearer, make_library, make_network, make_patron


def test_a_pin_reset_email_reaches_the_patron_and_its_code_works(app, client, db, configure, database):
    network = make_network(db)
    patron = make_patron(db, network, make_library(db, network), pin="2468", card="RESET001")
    db.commit()
    with LocalSmtpServer() as smtp, configure(smtp_host="127.0.0.1", smtp_port=smtp.port) as settings:
        assert client.post("/v1/auth/reset", json={"what": "pin", "card_number": "RESET001"}).status_code == 202
        with app.app_context():
            report = dispatch_once(database, channels_for(settings))
        assert report.sent == 1
        [(recipients, mail)] = smtp.inbox.messages
        assert recipients == [patron.email]
        assert mail["Content-Language"] == "it"
        code = re.search(r"codice (\S+)", mail.get_content()).group(1)
        inbox = client.get("/v1/notifications", headers=bearer(patron)).get_json()
        assert inbox["data"] == []  # one-time codes never sit in the app's inbox
        confirmed = client.post("/v1/auth/reset/confirm", json={"token": code, "new_secret": "8642"})
        assert confirmed.status_code == 200
    assert card_sign_in(client, "RESET001", "8642").status_code == 201
