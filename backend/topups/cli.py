"""``borsellino topups …`` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("topups")
def topups_cli():
    """Card top-ups: settlement of missed webhooks, pending refunds."""


@topups_cli.command("settle")
@with_appcontext
def settle_command():
    """Ask the payment provider about open top-ups and send pending refunds."""
    from flask import current_app

    from backend.topups.jobs import settle
    from backend.topups.provider import get_provider
    from backend.web.database import current_database

    counts = settle(current_database(), get_provider(current_app))
    if not counts:
        click.echo("nothing to settle")
    for outcome, n in sorted(counts.items()):
        click.echo(f"{outcome}: {n}")
