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
    from backend.db import db
    from backend.topups.jobs import settle
    from backend.topups.provider import get_provider

    counts = settle(db._get_current_object(), get_provider())
    if not counts:
        click.echo("nothing to settle")
    for outcome, n in sorted(counts.items()):
        click.echo(f"{outcome}: {n}")
