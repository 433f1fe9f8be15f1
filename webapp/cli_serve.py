"""``smk serve``: the production web server (gunicorn), optionally supervising one ``smk worker``."""

from __future__ import annotations

import click

from webapp.serve import ServeRefused, ServeSettings, check, gunicorn_argv, serve


@click.command("serve")
@click.option("--bind", default=None, help="address:port to listen on  [env SMK_WEB_BIND; default 127.0.0.1:8000]")
@click.option("--workers", type=int, default=None, help="web processes  [env SMK_WEB_WORKERS; default 2]")
@click.option("--threads", type=int, default=None, help="threads per web process  [env SMK_WEB_THREADS; default 4]")
@click.option("--timeout", type=int, default=None,
              help="seconds before a stuck request's process is restarted  [env SMK_WEB_TIMEOUT; default 60]")
@click.option("--with-worker", is_flag=True,
              help="also run one `smk worker` (timers, e-mail) and stop both when either ends")
@click.option("--allow-sqlite-workers", is_flag=True, envvar="SMK_WEB_ALLOW_SQLITE_WORKERS",
              help="run more than one web process on SQLite anyway (they wait for each other's writes)")
def serve_command(bind: str | None, workers: int | None, threads: int | None, timeout: int | None,
                  with_worker: bool, allow_sqlite_workers: bool) -> None:
    """Serve the web app with gunicorn (production). Timers fire only while an `smk worker` runs: start one
    beside it (see docs/operations.md) or pass --with-worker."""
    try:
        settings = ServeSettings.from_env(bind=bind, workers=workers, threads=threads, timeout=timeout)
        _config, notes = check(settings, allow_sqlite_workers)
    except ServeRefused as exc:
        click.echo(f"Not starting: {exc}", err=True)
        raise SystemExit(1) from exc
    click.echo(f"Serving on http://{settings.bind}/ with {settings.workers} workers x {settings.threads} threads"
               + (" and one smk worker" if with_worker else "; timers need `smk worker` running beside it"))
    for note in notes:
        click.echo(f"  {note}")
    click.echo("  " + " ".join(gunicorn_argv(settings)[1:]))
    raise SystemExit(serve(settings, with_worker))
