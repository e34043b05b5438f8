"""``borsellino ledger …`` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("ledger")
def ledger_cli() -> None:
    """The ledger: audit and inspection."""


@ledger_cli.command("audit")
@with_appcontext
def audit_command() -> None:
    """Recompute every balance from postings; exit 1 on any discrepancy."""
    from backend.ledger.audit import run_audit
    from backend.web.database import db

    session = db.new_session(immediate=False)
    try:
        report = run_audit(session)
    finally:
        session.close()
    for line in report.lines():
        click.echo(line)
    raise SystemExit(0 if report.clean else 1)
