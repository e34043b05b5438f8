"""``borsellino topups …`` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("topups")
def topups_cli():
    """Top-ups: settlement of missed webhooks and receipts, pending refunds, the pagoPA demo."""


@topups_cli.command("settle")
@with_appcontext
def settle_command():
    """Ask the payment provider about open top-ups and send pending refunds."""
    from flask import current_app

    from backend.topups.jobs import settle, settle_pagopa
    from backend.topups.provider import get_notice_provider, get_provider
    from backend.web.database import current_database

    counts = settle(current_database(), get_provider(current_app))
    counts.update(settle_pagopa(current_database(), get_notice_provider(current_app), current_app.config["SETTINGS"]))
    if not counts:
        click.echo("nothing to settle")
    for outcome, n in sorted(counts.items()):
        click.echo(f"{outcome}: {n}")


@topups_cli.command("pagopa-pay")
@click.argument("topup_id")
@with_appcontext
def pagopa_pay_command(topup_id):
    """Demo only (pagoPA sandbox): pay a top-up's notice as a PSP would and book its receipt."""
    from flask import current_app
    from sqlalchemy import select

    from backend.topups.models import Topup
    from backend.topups.pagopa import sandbox_pay
    from backend.topups.provider import get_notice_provider
    from backend.web.database import current_database
    from payments.pagopa_sandbox import SandboxNoticeProvider

    provider = get_notice_provider(current_app)
    if not isinstance(provider, SandboxNoticeProvider):
        raise click.ClickException("pagopa-pay needs the pagoPA sandbox (BORSELLINO_PAGOPA_PROVIDER=sandbox)")
    settings = current_app.config["SETTINGS"]

    def pay(session):
        topup = session.scalar(select(Topup).where(Topup.public_id == topup_id))
        if topup is None:
            raise click.ClickException(f"no top-up {topup_id}")
        return sandbox_pay(session, provider, settings, topup)

    click.echo(current_database().run_in_transaction(pay))
