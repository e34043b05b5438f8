"""``borsellino admin``: set up a network and import patrons from CSV, twice with the same effect."""

from __future__ import annotations

from flask.cli import ScriptInfo

from backend.accounts.cli import admin_cli
from backend.accounts.models import Patron, StaffUser
from tests.accounts_helpers import card_sign_in, count

CSV = """card_number,first_name,last_name,email,phone,language,library_code,pin
CLI0000101,Anna,Verdi,anna@example.org,,it,CLIRHO,1111
CLI0000102,Piero,Neri,,,en,,2222
"""


def _invoke(app, *args):
    return app.test_cli_runner().invoke(admin_cli, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_admin_cli_sets_up_a_network_and_imports_patrons_idempotently(app, client, db, tmp_path):
    assert _invoke(app, "create-network", "CLINET", "Rete CLI").exit_code == 0
    assert _invoke(app, "create-library", "--network", "CLINET", "CLIRHO", "Biblioteca").exit_code == 0
    staff = _invoke(
        app,
        "create-staff",
        "--network",
        "CLINET",
        "--role",
        "librarian",
        "--email",
        "Bib@Cli.it",
        "--name",
        "Sara",
        "--library",
        "CLIRHO",
        "--password",
        "long enough pw",
    )
    assert staff.exit_code == 0, staff.output
    assert count(db, StaffUser, StaffUser.email == "bib@cli.it") == 1
    refused = _invoke(
        app,
        "create-staff",
        "--network",
        "CLINET",
        "--role",
        "partner",
        "--email",
        "p@cli.it",
        "--name",
        "P",
        "--password",
        "long enough pw",
    )
    assert refused.exit_code != 0 and "partner venue" in refused.output
    path = tmp_path / "patrons.csv"
    path.write_text(CSV, encoding="utf-8")
    first = _invoke(app, "import-patrons", "--network", "CLINET", str(path))
    assert first.exit_code == 0 and "2 created" in first.output
    second = _invoke(app, "import-patrons", "--network", "CLINET", str(path))
    assert second.exit_code == 0 and "2 unchanged" in second.output
    assert count(db, Patron) == 2
    assert card_sign_in(client, "CLI0000101", "1111").status_code == 201
