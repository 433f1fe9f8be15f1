"""The ``smk`` command: Flask's CLI (run, routes, shell) plus init, demo and bench."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from click.core import ParameterSource
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from engine.errors import DeploymentInvalid
from engine.services.audit_chain import verify_chain
from engine.services.deployments import deploy, deploy_builtin, read_folder
from engine.services.worker import Worker
from processes.assessment_results import backfill_assessment_results
from processes.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo, start_demo_work
from processes.follow_up_results import backfill_follow_up_results
from processes.operations import backfill_results
from processes.simulate import SimulationRefused, simulate_period
from processes.simulate_parallel import simulate_period_parallel
from processes.skp_results import backfill_skp
from tools.bench import run_engine_bench
from tools.bench_audit import run_audit_bench
from tools.bench_curve import run_curve_bench
from tools.bench_http import run_http_bench
from tools.bench_import import run_import_bench
from tools.bench_inbox import run_inbox_bench
from tools.bench_migrate import run_migrate_bench
from tools.bench_reports import run_reports_bench
from tools.bench_rush import run_rush_bench
from tools.simulate_org import run_generated_year
from webapp import create_app
from webapp.extensions import get_engine

_EMBEDDED_WORKER = {"start": False}


def _make_app():
    app = create_app()
    # `smk run` is the embedded default: one process serves the web and runs the worker in a thread.
    # With the reloader only the child that serves requests starts it, so timers never fire twice here.
    if _EMBEDDED_WORKER["start"] and os.environ.get("SMK_WORKER", "1") != "0" and (
            os.environ.get("WERKZEUG_RUN_MAIN") == "true" or not os.environ.get("FLASK_DEBUG")):
        Worker(app.extensions["smk_engine"]).start_thread(float(os.environ.get("SMK_WORKER_INTERVAL", "5")))
    return app


@click.group(cls=FlaskGroup, create_app=_make_app, add_version_option=False)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """SMK Workflow: the SMK PNS cycle as executable BPMN."""
    _EMBEDDED_WORKER["start"] = ctx.invoked_subcommand == "run"


@cli.command("worker")
@click.option("--once", is_flag=True, help="run every job once and exit (for cron or tests)")
@click.option("--interval", type=float, default=lambda: float(os.environ.get("SMK_WORKER_INTERVAL", "5")),
              show_default="5, or SMK_WORKER_INTERVAL", help="seconds between passes")
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    """Fire due timers and run background jobs (any number of workers may run at once)."""
    worker = Worker(get_engine())
    if once:
        click.echo(" ".join(f"{k}={v}" for k, v in worker.run_once().items()))
        return
    click.echo(f"Worker started (every {interval:g} s); stop with Ctrl+C")
    try:
        worker.run_forever(interval)
    except KeyboardInterrupt:
        worker.stop()


@cli.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database and deploy every model in bpmn/."""
    engine = get_engine()
    engine.create_schema()
    with engine.session_factory.begin() as session:  # once after migration 0004; finds nothing to do later
        moved = backfill_results(session, engine.now())
        recorded = backfill_assessment_results(session, engine.now())  # once after issue 12's change
        listed = backfill_follow_up_results(session, engine.now())  # follow-up recommendations, likewise
        plans = backfill_skp(session, engine.now())  # each planning case's SKP, for the cascading tree
    click.echo(f"Database ready: {engine.db.url.render_as_string(hide_password=True)}")
    if moved:
        click.echo(f"  {moved} proposed predikat and unit ratings moved from the audit log to subject_result")
    if recorded:
        click.echo(f"  {recorded} assessment results recorded in subject_result from their cases")
    if listed:
        click.echo(f"  {listed} follow-up recommendation lists recorded in subject_result from their cases")
    if plans:
        click.echo(f"  {plans} SKPs recorded in subject_result from their planning cases")
    with _deployment_errors():
        for result in deploy_builtin(engine, Path(current_app.config["BPMN_DIR"])):
            _echo_result(result)


@cli.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--name", default="", help="a name for the deployment (default: its process ids)")
@click.option("--note", default="", help="why this version is deployed (kept with the deployment)")
@with_appcontext
def deploy_command(paths: tuple[Path, ...], name: str, note: str) -> None:
    """Validate and deploy a bundle: a folder, .bpmn/.dmn/.json files, or a .zip (ours or a SpiffArena process
    group); nothing is stored if any check fails."""
    files: dict[str, bytes] = {}
    with _deployment_errors():
        for path in paths:
            if path.suffix.lower() == ".zip":
                from engine.services.bundle_zip import import_zip

                imported = import_zip(path.read_bytes())
                for warning in imported.unsupported:
                    click.echo(f"  not supported here: {warning}", err=True)
                files.update(imported.files)
            else:
                files.update(read_folder(path) if path.is_dir() else {path.name: path.read_bytes()})
        _echo_result(deploy(get_engine(), files, None, name=name, note=note))


@cli.command("test-model")
@click.argument("target")
@with_appcontext
def test_model_command(target: str) -> None:
    """Run the scenario tests (*.scenario.json) of a bundle folder or files (e.g. bpmn/smk), or those of a deployed
    process (e.g. smk_penilaian); exit 1 when one fails. A folder of bpmn/ runs against the other folders of bpmn/
    (rules first), anything else against the latest deployments in the database."""
    from engine.errors import EngineError
    from engine.services import scenarios

    engine, path = get_engine(), Path(target)
    try:
        if path.exists():
            files = read_folder(path) if path.is_dir() else {path.name: path.read_bytes()}
            root = Path(current_app.config["BPMN_DIR"]).resolve()
            builtin = path.is_dir() and path.resolve().parent == root
            report = scenarios.run_bundle(
                engine, files, name=f"bpmn/{path.resolve().name}" if builtin else "",
                context=scenarios.folder_context(root, path) if builtin else None)
        else:
            report = scenarios.run_deployed_process(engine, target)
    except EngineError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(scenarios.report_text(report))
    if not report.results and not report.problems:
        click.echo("no scenario found (*.scenario.json)")
    if not report.ok:
        raise SystemExit(1)


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@with_appcontext
def diff_command(old: str, new: str) -> None:
    """What changed between two versions of a bundle. OLD and NEW are each a deployment id or a folder of
    .bpmn/.dmn/.json files (e.g. `smk diff 3 bpmn/smk` compares deployment 3 with the files on disk)."""
    from engine.errors import EngineError
    from engine.services.diff import diff_sources

    def source(arg: str) -> int | dict[str, bytes]:
        path = Path(arg)
        if path.is_dir():
            return read_folder(path)
        if arg.isdigit():
            return int(arg)
        raise click.BadParameter(f"{arg!r} is neither a deployment id nor a folder")

    with _deployment_errors():
        try:
            click.echo(diff_sources(get_engine(), source(old), source(new)).text())
        except EngineError as exc:
            raise click.ClickException(exc.message) from exc


@cli.command("migrate")
@click.option("--process", "process_id", required=True, help="the process id, e.g. smk_penilaian")
@click.option("--to", "to_version", type=int, default=None, help="the target version (default: the latest)")
@click.option("--dry-run", is_flag=True, help="only say which instances could move and why the others cannot")
@click.option("--batch", "batch_size", default=100, show_default=True, help="instances per batch")
@with_appcontext
def migrate_command(process_id: str, to_version: int | None, dry_run: bool, batch_size: int) -> None:
    """Move running instances of earlier versions of a process to a newer version (those that can move)."""
    from engine.errors import EngineError
    from engine.services import migration

    engine = get_engine()
    try:
        plan = migration.plan(engine, process_id, to_version)
    except EngineError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{process_id} → v{plan.to_version}: {len(plan.movable)} can move, {len(plan.blocked)} cannot, "
               f"{plan.on_target} already on v{plan.to_version}")
    for blocked in plan.blocked:
        click.echo(f"  cannot move instance {blocked.instance_id} (v{blocked.version}, {blocked.business_key}): "
                   + "; ".join(str(r) for r in blocked.reasons))
    if dry_run or not plan.movable:
        return

    def progress(batch: migration.BatchResult) -> None:
        click.echo(f"  moved {len(batch.moved)}, failed {len(batch.failed)}; {batch.remaining} candidates left")

    total = migration.migrate_all(engine, process_id, plan.to_version, None, batch_size, progress)
    for instance_id, error in total.failed.items():
        click.echo(f"  failed instance {instance_id}: {error}", err=True)
    click.echo(f"moved {len(total.moved)} instances to v{plan.to_version}")
    if total.failed:
        raise SystemExit(1)


@cli.command("export")
@click.argument("deployment_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--spiffarena", is_flag=True, help="SpiffArena's layout: a process group of process-model folders")
@with_appcontext
def export_command(deployment_id: int, out: Path, spiffarena: bool) -> None:
    """Write a deployment's files to a zip (`smk deploy OUT.zip` or the deploy page reads it back)."""
    from sqlalchemy import select

    from engine.db.deploy import Deployment, DeploymentFile
    from engine.services.bundle_zip import export_zip

    engine = get_engine()
    with engine.session_factory() as session:
        deployment = session.get(Deployment, deployment_id)
        if deployment is None:
            raise click.ClickException(f"deployment {deployment_id} does not exist")
        files = {r.filename: r.content for r in session.scalars(
            select(DeploymentFile).where(DeploymentFile.deployment_id == deployment_id))}
        name = deployment.name
    out.write_bytes(export_zip(files, "spiffarena" if spiffarena else "smk", name))
    click.echo(f"  {len(files)} files of deployment {deployment_id} written to {out}")


def _echo_result(result) -> None:
    state = "deployed" if result.created else "unchanged"
    items = ", ".join(f"{p} v{v}" for p, v in result.processes + result.decisions) or "(no new versions)"
    click.echo(f"  deployment {result.deployment_id} {state}: {items}")


@contextmanager
def _deployment_errors() -> Iterator[None]:
    """Turn a refused bundle into its list of problems and exit status 1, not a traceback."""
    try:
        yield
    except DeploymentInvalid as exc:
        click.echo("Deployment refused; nothing was stored:", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from exc


@cli.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo organisation and users (once) and print the demo logins."""
    created = load_demo(get_engine())
    click.echo("Demo organisation loaded." if created else "Demo organisation already present.")
    started = start_demo_work(get_engine())
    if started:
        click.echo(f"Started {started} demo cases, so the inboxes have work in them.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role in DEMO_LOGINS:
        click.echo(f"  {username:<10} {role}")


@cli.command("bench")
@click.argument("what", type=click.Choice(["engine", "audit", "import", "migrate", "reports", "http", "rush", "inbox",
                                          "curve"]),
                default="engine")
@click.option("-n", "--count", default=200, show_default=True, help="engine: process runs per measurement")
@click.option("--history", default=1000, show_default=True, help="engine: completed instances behind the subject")
@click.option("--events", default=1_000_000, show_default=True, help="audit: audit events to create")
@click.option("--instances", default=100_000, show_default=True,
              help="audit: instances to create; migrate: running instances to move (default there 10,000)")
@click.option("--employees", default=10_000, show_default=True, help="audit, import, reports: employees to create")
@click.option("--url", default=None, help="audit, import, reports: a PostgreSQL URL whose server gets a fresh database "
              "(default: a temporary SQLite file)")
@click.option("--users", default=40, show_default=True, help="rush: simulated users at once")
@click.option("--duration", default=180, show_default=True, help="rush: seconds of the compressed last hour")
def bench_command(what: str, count: int, history: int, events: int, instances: int, employees: int,
                  url: str | None,
                  users: int = 40, duration: int = 180) -> None:
    """Measure the engine (raw SpiffWorkflow vs persisted services), the audit queries on a large trail, or the
    organisation import (validate, preview, apply, re-import of a generated agency)."""
    if what in ("http", "rush"):  # smaller default sizes: every employee logs in over HTTP
        given = click.get_current_context().get_parameter_source("employees") != ParameterSource.DEFAULT
        size = employees if given else (200 if what == "http" else 1000)
        for line in (run_http_bench(url, size) if what == "http"
                     else run_rush_bench(url, size, users=users, duration=duration)):
            click.echo(line)
        return
    lines = (run_engine_bench(count, history) if what == "engine"
             else run_migrate_bench(url, instances if instances != 100_000 else 10_000) if what == "migrate"
             else run_import_bench(url, employees=employees) if what == "import"
             else run_reports_bench(url, employees=employees, app_factory=create_app) if what == "reports"
             else run_inbox_bench(url, events=events) if what == "inbox"
             else run_curve_bench(url) if what == "curve"
             else run_audit_bench(url, employees=employees, instances=instances, events=events))
    for line in lines:
        click.echo(line)


@cli.command("simulate")
@click.option("--period", "year", type=int, required=True, help="the calendar year to play, e.g. 2023")
@click.option("--employees", type=click.IntRange(min=2), default=None,
              help="generate an agency of about N employees in an empty database, import it and play the year on "
                   "it, printing the benchmark figures (issue 15)")
@click.option("--seed", type=int, default=1, show_default=True,
              help="with --employees or --organisation database: the generated agency and who behaves how")
@click.option("--organisation", type=click.Choice(["demo", "database"]), default="demo", show_default=True,
              help="demo: load the demo organisation and its named behaviours; database: the (imported) "
                   "organisation already in the database, behaviours drawn from --seed")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="stop before this day (default: when the period closes, at the latest 31 March of the next year)")
@click.option("--workers", type=click.IntRange(min=1, max=16), default=1, show_default=True,
              help="processes that act at once, each on a share of the employees (pays on PostgreSQL; SQLite "
                   "lets one process write at a time)")
@with_appcontext
def simulate_command(year: int, employees: int | None, seed: int, organisation: str,
                     until: datetime | None, workers: int) -> None:
    """Play a whole performance year: the demo organisation (loads the demo and deploys the models), the
    organisation in the database, or a generated one of --employees people (reports wall and CPU time)."""
    engine = get_engine()
    engine.create_schema()
    day = until.date() if until else None
    try:  # refusals come before anything changed: say why, exit 1, no traceback
        def progress(line: str) -> None:
            click.echo(line, err=True)

        lines = (run_generated_year(engine, year, employees, seed, day, workers, progress) if employees is not None
                 else simulate_period_parallel(engine, year, workers, organisation=organisation, seed=seed,
                                               until=day, progress=progress) if workers > 1
                 else simulate_period(engine, year, organisation=organisation, seed=seed, until=day))
        for line in lines:
            click.echo(line)
    except SimulationRefused as exc:
        raise click.ClickException(str(exc)) from exc


@cli.group("audit")
def audit_group() -> None:
    """The audit trail: verify that no stored event was altered, deleted or inserted."""


@audit_group.command("verify")
@click.option("--full", is_flag=True, help="check from the first event, not from the newest checkpoint")
@with_appcontext
def audit_verify_command(full: bool) -> None:
    """Check the audit trail's hash chain; exit 1 and name the first broken event when it is not intact."""
    report = verify_chain(get_engine(), full=full)
    where = f"from event {report.start_seq + 1}" if report.start_seq else "from the first event"
    if report.intact:
        click.echo(f"intact: {report.checked} events checked {where}; "
                   f"head: event {report.head_seq}, hash {report.head_hash}")
        click.echo("Keep the head hash outside the database (a signed report) to catch a rewrite of the whole chain.")
        return
    click.echo(f"NOT INTACT: event {report.seq} {report.problem}"
               + (f" (stored row id {report.event_id})" if report.event_id else "")
               + f"; {report.checked} events before it were intact", err=True)
    raise SystemExit(1)


from webapp.cli_org import org_group  # noqa: E402  (smk org import / template / export)

cli.add_command(org_group)

from webapp.cli_serve import serve_command  # noqa: E402  (smk serve: gunicorn, production)

cli.add_command(serve_command)


def main() -> None:
    cli()
