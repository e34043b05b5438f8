"""``borsellino scheduler``: run the scheduler process, list jobs, run one job now."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


def _jobs(spec: str | None):
    from backend.jobs.registry import JOBS, resolve

    return list(resolve(spec)) if spec else JOBS


@click.group("scheduler", invoke_without_command=True)
@click.option(
    "--jobs",
    "jobs_spec",
    default=None,
    metavar="MODULE:ATTR",
    help="Run this list of jobs instead of the registry (tests, one-off setups).",
)
@click.pass_context
@with_appcontext
def scheduler_cli(ctx, jobs_spec):
    """Run the job scheduler (one process beside the web workers; Ctrl-C or SIGTERM stops it)."""
    ctx.obj = {"jobs": _jobs(jobs_spec)}
    if ctx.invoked_subcommand is None:
        from backend.jobs.scheduler import run_forever

        click.echo("scheduler: " + ", ".join(job.name for job in ctx.obj["jobs"]))
        run_forever(current_app._get_current_object(), ctx.obj["jobs"])


@scheduler_cli.command("list")
@click.pass_context
@with_appcontext
def list_jobs(ctx):
    """Show every registered job and its period."""
    for job in ctx.obj["jobs"]:
        when = f"every {job.every}" if job.every else f"daily at {job.daily_at:%H:%M} Europe/Rome"
        click.echo(f"{job.name:<28} {when}")


@scheduler_cli.command("run")
@click.argument("name")
@click.pass_context
@with_appcontext
def run_now(ctx, name):
    """Run one job now (still once per period: skipped if its period already ran)."""
    from backend.jobs.registry import job_named
    from backend.jobs.runner import run_job

    outcome = run_job(current_app.extensions["borsellino.db"], job_named(name, ctx.obj["jobs"]))
    click.echo(f"{name}: {outcome}")
    if outcome == "failed":
        raise SystemExit(1)
