"""``borsellino partners …`` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("partners")
def partners_cli():
    """Partner offers and passes."""


@partners_cli.command("demo-pass")
@click.argument("card_number")
@with_appcontext
def demo_pass(card_number):
    """Play a demo patron's phone: renew its pass and print the code it shows now (QR and typed code).

    Demo data only: the phone key is derived from the card number (``backend.partners.demo``).
    """
    import segno
    from sqlalchemy import select

    from backend.accounts.models import Patron
    from backend.db import utcnow
    from backend.partners.demo import demo_device_key, demo_phone_key
    from backend.partners.pass_code import show_code
    from backend.partners.passes import issue_pass, otp_now
    from backend.web.database import db
    from backend.web.settings import current_settings

    def work(session):
        patron = session.scalar(select(Patron).where(Patron.card_number == card_number))
        if patron is None:
            raise click.ClickException(f"no patron with card {card_number}")
        issued = issue_pass(session, current_settings(), patron, demo_device_key(card_number))
        now = utcnow()
        return (
            show_code(issued.token, issued.pass_.public_id, demo_phone_key(card_number), now),
            otp_now(issued.pass_, now),
            issued.holder,
        )

    code, typed, holder = db.run_in_transaction(work)
    segno.make(code, error="l").terminal(compact=True)
    click.echo(f"holder: {holder['first_name']} {holder['initial']} ({holder['age_band'] or 'age not given'})")
    click.echo(f"typed code (valid this minute and the next): {typed}")
    click.echo(f"scanned code (valid 2 minutes):\n{code}")
