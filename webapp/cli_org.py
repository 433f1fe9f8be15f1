"""``smk org``: import the organisation from files (preview, then --apply), write the template or the current
organisation in the import's format; put a user in a group; a one-time password link."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import LANES
from engine.db.org import Group, GroupMember, User
from engine.services import accounts, audit
from engine.services.org import add_to_group, change_membership, last_admin
from processes.orgimport import (
    ImportInvalid,
    ImportReport,
    links_csv,
    organisation_xlsx,
    run_import,
    template_xlsx,
)
from webapp.extensions import get_engine

SHOWN = 50  # changes and task hand-overs listed on the terminal (all of them with --all)


@click.group("org")
def org_group() -> None:
    """The organisation: import units, positions and employees; the template; the current data."""


def _files(paths: tuple[Path, ...]) -> dict[str, bytes]:
    """One .xlsx, three .csv files, or a folder holding unit.csv, jabatan.csv and pegawai.csv."""
    files: dict[str, bytes] = {}
    for path in paths:
        if path.is_dir():
            for name in ("unit.csv", "jabatan.csv", "pegawai.csv"):
                found = [p for p in path.iterdir() if p.name.lower() == name]
                if found:
                    files[found[0].name] = found[0].read_bytes()
        else:
            files[path.name] = path.read_bytes()
    return files


def _echo_report(report: ImportReport, everything: bool) -> None:
    counts = report.counts
    click.echo(f"file sha256 {report.sha256}")
    if report.nothing_to_do:
        click.echo("Nothing to change: the organisation already matches the file.")
        return
    for key, value in counts.items():
        click.echo(f"  {key:<22} {value}")
    changes = report.changes if everything else report.changes[:SHOWN]
    for change in changes:
        fields = "; ".join(f"{name}: {before or '-'} -> {after or '-'}" for name, before, after in change.fields)
        click.echo(f"  {change.action:<11} {change.entity:<8} {change.key:<20} {change.name}  [{fields}]")
    if len(changes) < len(report.changes):
        click.echo(f"  … and {len(report.changes) - len(changes)} more changes (--all lists every one)")
    handovers = report.handovers if everything else report.handovers[:SHOWN]
    if handovers:
        click.echo("Open tasks that change hands:")
    for h in handovers:
        click.echo(f"  {h.title} ({h.subject}, {h.period or '-'}): {', '.join(h.before) or 'nobody'} -> "
                   f"{', '.join(h.after) or 'NOBODY (flagged to Biro SDM)'}")
    if len(handovers) < len(report.handovers):
        click.echo(f"  … and {len(report.handovers) - len(handovers)} more tasks (--all lists every one)")


@org_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="apply the changes (without it: only a preview)")
@click.option("--links", type=click.Path(dir_okay=False, path_type=Path),
              help="with --apply: write the new accounts' one-time links to this CSV file instead of the terminal")
@click.option("--all", "everything", is_flag=True, help="list every change and task, not only the first 50")
@with_appcontext
def import_command(paths: tuple[Path, ...], apply_: bool, links: Path | None, everything: bool) -> None:
    """Import the organisation from an XLSX workbook (sheets unit, jabatan, pegawai) or the three CSV files.

    Every row is checked first; nothing changes while any problem remains. Without --apply it shows what would
    change, including the open tasks that would change hands.
    """
    try:
        report = run_import(get_engine(), _files(paths), None, apply=apply_)
    except ImportInvalid as exc:
        click.echo(f"Import refused; nothing was changed ({len(exc.problems)} problems):", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from exc
    _echo_report(report, everything)
    if not apply_:
        if not report.nothing_to_do:
            click.echo("Preview only; nothing was changed. Run again with --apply to apply it.")
        return
    if not report.applied:
        return
    click.echo(f"Applied. {len(report.accounts)} new accounts "
               f"({sum(1 for a in report.accounts if a.emailed)} links queued by e-mail).")
    base = os.environ.get("SMK_BASE_URL", "").rstrip("/")
    if links is not None:
        links.write_bytes(links_csv(report.accounts, base))
        links.chmod(0o600)
        click.echo(f"One-time set-password links (valid 7 days) written to {links}")
    elif report.accounts:
        click.echo("One-time set-password links (valid 7 days; hand each to its owner only):")
        for account in report.accounts:
            click.echo(f"  {account.nip}  {account.name:<40} {base}{account.link}"
                       + ("  (e-mailed)" if account.emailed else ""))


@org_group.command("template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def template_command(out: Path) -> None:
    """Write the import template: an example organisation and a guide to every column (Indonesian and English)."""
    out.write_bytes(template_xlsx())
    click.echo(f"Template written to {out}")


@org_group.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_command(out: Path) -> None:
    """Write the organisation in the database in the import's format (edit it and import it again)."""
    with get_engine().session_factory() as session:
        out.write_bytes(organisation_xlsx(session))
    click.echo(f"Organisation written to {out}")


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where((User.username == name) | (User.nip == name)))
    if user is None:
        raise click.ClickException(f"no account with the username or NIP {name!r}")
    return user


@org_group.command("group")
@click.argument("user")
@click.argument("group")
@click.option("--remove", is_flag=True, help="take the user out of the group instead")
@with_appcontext
def group_command(user: str, group: str, remove: bool) -> None:
    """Put a user (username or NIP) in a group, e.g. "Biro SDM", "Administrator", "Pemilik Proses"."""
    engine = get_engine()
    now = engine.now()
    with engine.session_factory.begin() as session:
        account = _user(session, user)
        if remove:
            if group in LANES.roles.admin and last_admin(session, account.id):
                raise click.ClickException(f"{account.username} is the last active administrator; "
                                           "make someone else an administrator first")
            found = session.scalar(select(Group).where(Group.name == group))
            member = session.get(GroupMember, (found.id, account.id)) if found is not None else None
            flagged = given = 0
            if member is not None:  # the open tasks it stood in for go to the other stand-ins, or are flagged
                gone = member
                flagged = change_membership(session, account.id, False, lambda: session.delete(gone), now,
                                            None).flagged
        else:
            moved = change_membership(session, account.id, True, lambda: add_to_group(session, account, group),
                                      now, None)
            flagged, given = moved.flagged, moved.given
        audit.record(session, "org.group_removed" if remove else "org.group_added", now, None,
                     subject_id=account.id, group=group, via="cli")
    click.echo(f"{account.username} ({account.full_name}) {'is no longer' if remove else 'is now'} in the group {group}"
               + (f"; {flagged} open task(s) nobody else may act on flagged to Biro SDM" if flagged else "")
               + (f"; named as a stand-in on {given} open task(s)" if given else ""))


@org_group.command("link")
@click.argument("user")
@with_appcontext
def link_command(user: str) -> None:
    """Make a one-time set-password link for a user (username or NIP), valid 7 days; older links stop working."""
    engine = get_engine()
    now = engine.now()
    with engine.session_factory.begin() as session:
        account = _user(session, user)
        if not account.active:
            raise click.ClickException(f"{account.username} is not active")
        token = accounts.issue_link(session, account, now, None, accounts.RESET)
        audit.record(session, "account.link_issued", now, None, subject_id=account.id, purpose=accounts.RESET, via="cli")
    click.echo(f"{account.username} ({account.full_name}): {os.environ.get('SMK_BASE_URL', '').rstrip('/')}"
               f"{accounts.link_path(token)}")
