"""``borsellino admin ...``: networks, libraries, venues, staff, and the patron CSV import."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask.cli import with_appcontext

from backend.errors import DomainError


@click.group("admin")
def admin_cli():
    """Set up networks, libraries, partner venues and staff; import patrons."""


def _bind_operator(session, network) -> None:
    """Make the operator at the shell the author of what the command writes, for the audit trail.

    A command has no signed-in staff member, so the trail would otherwise get nothing; the OS
    user is the best "who" the machine knows.
    """
    import getpass

    from backend.auth.principal import Principal
    from backend.finance import audit

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        user = "unknown"
    operator = Principal(subject=f"cli:{user}"[:64], role="system", network_id=network.public_id)
    audit.bind_staff(session, operator, "cli")


def _run(work):
    from backend.web.database import db

    try:
        return db.run_in_transaction(work)
    except DomainError as refused:
        raise click.ClickException(refused.body("en")["error"]["message"]) from None


@admin_cli.command("create-network")
@click.argument("code")
@click.argument("name")
@with_appcontext
def create_network(code, name):
    from backend.accounts import staffing

    network = _run(lambda s: staffing.create_network(s, code, name))
    click.echo(f"network {network.code} {network.public_id}")


@admin_cli.command("create-library")
@click.option("--network", "network_code", required=True)
@click.argument("code")
@click.argument("name")
@click.option("--city", default="")
@click.option("--address", default="")
@with_appcontext
def create_library(network_code, code, name, city, address):
    from backend.accounts import staffing

    library = _run(
        lambda s: staffing.create_library(
            s, staffing.network_by_code(s, network_code), code=code, name=name, city=city, address=address
        )
    )
    click.echo(f"library {library.code} {library.public_id}")


@admin_cli.command("create-venue")
@click.option("--network", "network_code", required=True)
@click.argument("name")
@click.option("--city", default="")
@with_appcontext
def create_venue(network_code, name, city):
    from backend.accounts import staffing

    venue = _run(lambda s: staffing.create_venue(s, staffing.network_by_code(s, network_code), name=name, city=city))
    click.echo(f"venue {venue.public_id}")


@admin_cli.command("create-staff")
@click.option("--network", "network_code", required=True)
@click.option("--role", type=click.Choice(["librarian", "partner", "finance", "admin"]), required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--library", "library_codes", multiple=True, help="Library code (librarians; repeatable)")
@click.option("--venue", "venue_id", default=None, help="Partner venue id (partner users)")
@click.option("--language", type=click.Choice(["it", "en"]), default="it")
@click.password_option(help="Prompted if not given")
@with_appcontext
def create_staff(network_code, role, email, name, library_codes, venue_id, language, password):
    from backend.accounts import staffing
    from backend.accounts.rules import is_valid_password

    if not is_valid_password(password):
        raise click.BadParameter("10 to 128 characters", param_hint="password")

    def work(s):
        network = staffing.network_by_code(s, network_code)
        _bind_operator(s, network)
        return staffing.create_staff(
            s,
            network,
            email=email,
            name=name,
            role=role,
            password=password,
            library_codes=list(library_codes),
            venue_id=venue_id,
            language=language,
        )

    user = _run(work)
    click.echo(f"staff {user.email} {user.role} {user.public_id}")


CSV_COLUMNS = ("card_number", "first_name", "last_name", "email", "phone", "language", "library_code", "pin")


@admin_cli.command("import-patrons")
@click.option("--network", "network_code", required=True)
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_patrons(network_code, csv_file):
    """Create or update patrons from a CSV (header: card_number,first_name,last_name,email,phone,
    language,library_code,pin). Keyed by card number: importing the same file twice changes nothing."""
    from backend.accounts import patrons, staffing
    from backend.accounts.schemas import BatchSchema

    with csv_file.open(newline="", encoding="utf-8-sig") as handle:
        rows = [
            {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS and (v or "").strip()}
            for row in csv.DictReader(handle)
        ]
    import marshmallow as ma

    try:
        data = BatchSchema().load({"patrons": rows})
    except ma.ValidationError as invalid:
        raise click.ClickException(f"invalid rows: {invalid.messages}") from None
    results = _run(
        lambda s: [
            (r.card_number, r.result, r.error)
            for r in patrons.upsert_patrons(s, staffing.network_by_code(s, network_code), data["patrons"])
        ]
    )
    totals = {}
    for card, result, error in results:
        totals[result] = totals.get(result, 0) + 1
        if error:
            click.echo(f"{card}: rejected ({error})", err=True)
    click.echo(", ".join(f"{n} {result}" for result, n in sorted(totals.items())))
