"""The ``smk`` command: Flask's CLI (run, routes, shell) plus init, demo and bench."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from webapp import create_app
from webapp.extensions import get_engine


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def cli() -> None:
    """SMK Workflow: the SMK PNS cycle as executable BPMN."""


@cli.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database and deploy every model in bpmn/."""
    from engine.deployments import deploy_builtin

    engine = get_engine()
    engine.create_schema()
    click.echo(f"Database ready: {engine.db.url.render_as_string(hide_password=True)}")
    for result in deploy_builtin(engine, Path(current_app.config["BPMN_DIR"])):
        state = "deployed" if result.created else "unchanged"
        items = ", ".join(f"{p} v{v}" for p, v in result.processes + result.decisions) or "(no new versions)"
        click.echo(f"  deployment {result.deployment_id} {state}: {items}")


@cli.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo organisation and users (once) and print the demo logins."""
    from engine.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo

    created = load_demo(get_engine())
    click.echo("Demo organisation loaded." if created else "Demo organisation already present.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role in DEMO_LOGINS:
        click.echo(f"  {username:<10} {role}")


@cli.command("bench")
@click.argument("what", type=click.Choice(["engine"]), default="engine")
@click.option("-n", "--count", default=200, show_default=True, help="process runs per measurement")
@click.option("--history", default=1000, show_default=True, help="completed instances behind the subject")
def bench_command(what: str, count: int, history: int) -> None:
    """Measure the engine: raw SpiffWorkflow vs persisted services, and cost against history."""
    from engine.bench import run_engine_bench

    for line in run_engine_bench(count, history):
        click.echo(line)


def main() -> None:
    cli()
