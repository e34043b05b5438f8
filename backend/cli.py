"""The ``borsellino`` command: demo, serve, database, OpenAPI, and each domain's commands."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO_ROOT / "mobile_api_spec" / "openapi.json"


def _create_app():
    from backend import create_app

    return create_app()


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False, load_dotenv=False
)
def main():
    """Borsellino: wallet backend of the Rete delle Reti patron app."""


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision):
    """Apply Alembic migrations to DATABASE_URL."""
    from flask import current_app

    from backend.migrations_support import upgrade

    url = current_app.config["SETTINGS"].database_url
    _ensure_sqlite_folder(url)
    upgrade(url, revision)
    click.echo(f"database at {revision}")


def spec_json(app) -> str:
    """The OpenAPI document as committed: stable key order, trailing newline."""
    with app.app_context():
        spec = app.extensions["borsellino.api"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@main.command("openapi")
@click.argument("output", required=False, type=click.Path(dir_okay=False, path_type=Path))
def openapi(output):
    """Write the OpenAPI document (default: mobile_api_spec/openapi.json)."""
    from backend import create_app

    output = output or SPEC_PATH
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(spec_json(create_app({"testing": False})), encoding="utf-8")
    click.echo(f"wrote {output}")


def _gunicorn_argv(extra: list[str]) -> list[str]:
    conf = Path(__file__).resolve().parent / "gunicorn_conf.py"
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    return [gunicorn, "-c", str(conf), *extra, "backend.wsgi:app"]


@main.command("serve", context_settings={"ignore_unknown_options": True})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(gunicorn_args):
    """Run gunicorn with backend/gunicorn_conf.py (extra arguments go to gunicorn)."""
    argv = _gunicorn_argv(list(gunicorn_args))
    os.execv(argv[0], argv)


@main.command("demo")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (the OpenAPI servers and the printed URLs follow it).",
)
@click.option(
    "--reset/--keep",
    default=True,
    show_default=True,
    help="Start from fresh demo data, or keep the existing demo database.",
)
@click.option("--folder", default="demo-data", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--database-url",
    default=None,
    metavar="URL",
    help="Run on this database instead of SQLite, e.g. postgresql+psycopg://postgres@127.0.0.1/borsellino_demo "
    "(its name must contain 'demo': --reset empties it).",
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Run the job scheduler (notification delivery, housekeeping) beside the server.",
)
@click.option(
    "--verbose-scheduler",
    is_flag=True,
    help="Log every scheduler run (by default the demo logs only the scheduler's warnings).",
)
def demo(port, reset, folder, database_url, scheduler, verbose_scheduler):
    """Create, migrate and seed a demo database (SQLite unless --database-url), then serve it on 127.0.0.1."""
    import logging

    from backend import create_app
    from backend.demo import seed
    from backend.migrations_support import upgrade
    from backend.web.database import db as database

    if database_url:
        url, where = database_url, _demo_database(database_url, reset)
    else:
        folder = Path(folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        db_file = folder / "borsellino.sqlite"
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db_file) + suffix).unlink(missing_ok=True)
        url, where = f"sqlite:///{db_file}", f"SQLite: {db_file}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BORSELLINO_ENV": "development",
        "BORSELLINO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    os.environ.update(env)
    upgrade(url)
    app = create_app({"database_url": url, "public_base_url": env["BORSELLINO_PUBLIC_BASE_URL"]})
    logins = []
    with app.app_context():
        if not _has_demo_data(database):
            ctx = database.run_in_transaction(lambda session: seed(session, app.config["SETTINGS"]))
            logins = ctx.logins
    base = f"http://127.0.0.1:{port}"
    click.echo("")
    click.echo(f"Borsellino demo ({where})")
    click.echo(f"  API docs       {base}/docs")
    click.echo(f"  OpenAPI        {base}/openapi.json")
    click.echo(f"  Staff console  {base}/console/")
    click.echo(f"  Health         {base}/healthz")
    if scheduler:
        from backend.jobs.scheduler import start_in_background

        if not verbose_scheduler:
            # APScheduler narrates every run (the outbox every 5 s): it would bury the lines above.
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        start_in_background(app)
        click.echo(
            "  Scheduler      running beside the server"
            + ("" if verbose_scheduler else " (quiet; --verbose-scheduler logs each run)")
        )
    if logins:
        click.echo("Demo logins:")
        for line in logins:
            click.echo("  " + line)
    else:
        click.echo("Existing demo data kept (logins as in README).")
    click.echo("")
    sys.stdout.flush()
    argv = _gunicorn_argv(["--bind", f"127.0.0.1:{port}", "--workers", "2"])
    server = subprocess.Popen(argv, env=env)
    # Stopping the demo (Ctrl-C, or a TERM from a supervisor) stops its server too.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda sig, _frame: server.send_signal(sig))
    try:
        raise SystemExit(server.wait())
    except KeyboardInterrupt:
        server.send_signal(signal.SIGINT)
        raise SystemExit(server.wait()) from None


def _demo_database(url: str, reset: bool) -> str:
    """Check a non-SQLite demo database URL (and empty it for --reset); returns how to name it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise click.ClickException("--database-url takes a PostgreSQL URL (without it the demo uses SQLite)")
    if "demo" not in (parsed.database or ""):
        raise click.ClickException(
            f"refusing to use {parsed.database!r} for the demo: its name must contain 'demo' "
            "(every --reset start empties it)"
        )
    if reset:
        engine = create_engine(url, hide_parameters=True)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    return f"PostgreSQL: {parsed.render_as_string(hide_password=True)}"


def _has_demo_data(database) -> bool:
    from sqlalchemy import func, select

    from backend.accounts.models import Network

    return bool(database.run_in_transaction(lambda session: session.scalar(select(func.count()).select_from(Network))))


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _register_domain_commands() -> None:
    """Each domain's command group (``borsellino ledger``, ``admin``, ``topups``, ``scheduler``)."""
    from backend.accounts.cli import admin_cli
    from backend.jobs.cli import scheduler_cli
    from backend.ledger.cli import ledger_cli
    from backend.partners.cli import partners_cli
    from backend.topups.cli import topups_cli

    for group in (ledger_cli, admin_cli, topups_cli, scheduler_cli, partners_cli):
        main.add_command(group)


_register_domain_commands()
