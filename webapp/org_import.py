"""The organisation import for Biro SDM and administrators (/organisasi/impor): upload, preview, apply.

The uploaded files wait in ``<instance>/imports/<id>/`` between the preview and the apply (a day at most; the
uploader alone may apply them), so the apply reads exactly the files that were previewed. The apply form
carries the preview's digest: when the organisation changed meanwhile, the apply is refused and the new
preview shown.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from pathlib import Path

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user

from engine.db.org import User
from engine.services import audit
from processes.orgimport import (
    ACTIONS,
    SHEETS,
    ImportInvalid,
    ImportReport,
    ImportStale,
    organisation_xlsx,
    run_import,
    template_xlsx,
)
from webapp.extensions import get_engine
from webapp.i18n import translate
from webapp.organisation import bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
KEEP_SECONDS = 24 * 3600
SHOWN = 200  # rows per section of the preview


def _store() -> Path:
    return Path(current_app.instance_path) / "imports"


def _clean_old(store: Path) -> None:
    if not store.is_dir():
        return
    for folder in store.iterdir():
        try:
            if folder.is_dir() and time.time() - folder.stat().st_mtime > KEEP_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _save(files: dict[str, bytes]) -> str:
    store = _store()
    _clean_old(store)
    upload_id = secrets.token_urlsafe(16)
    folder = store / upload_id
    folder.mkdir(parents=True, mode=0o700)
    names = []
    for i, (name, data) in enumerate(files.items()):
        safe = re.sub(r"[^a-z0-9_.-]", "_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower())[:80] or f"file{i}"
        (folder / f"{i}-{safe}").write_bytes(data)
        names.append(safe)
    (folder / "meta.json").write_text(json.dumps({"user": current_user.user_id, "names": names}))
    return upload_id


def _load(upload_id: str) -> dict[str, bytes]:
    folder = _store() / upload_id
    if not UPLOAD_ID.match(upload_id) or not (folder / "meta.json").is_file():
        abort(404)
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("user") != current_user.user_id:
        abort(404)
    return {name: (folder / f"{i}-{name}").read_bytes() for i, name in enumerate(meta["names"])}


def _sections(report: ImportReport) -> list[tuple[str, str, list, int]]:
    """(sheet, action, the first SHOWN changes, how many in all), in a reading order."""
    found = []
    for sheet in SHEETS:
        for action in ACTIONS:
            changes = [c for c in report.changes if c.entity == sheet and c.action == action]
            if changes:
                found.append((sheet, action, changes[:SHOWN], len(changes)))
    return found


def _preview(report: ImportReport, upload_id: str, status: int = 200, stale: bool = False):
    return render_template("organisation/import_preview.html", report=report, sections=_sections(report),
                           handovers=report.handovers[:SHOWN], upload_id=upload_id, stale=stale, shown=SHOWN), status


def _problems(exc: ImportInvalid):
    problems = [(p.sheet, p.row, p.column, p.value, translate(p.message)) for p in exc.problems[:500]]
    return render_template("organisation/import.html", problems=problems, total=len(exc.problems)), 422


@bp.get("/impor")
def import_form():
    return render_template("organisation/import.html", problems=None, total=0)


@bp.post("/impor")
def import_preview():
    files = {f.filename or f"file{i}": f.read() for i, f in enumerate(request.files.getlist("files")) if f and f.filename}
    try:
        report = run_import(get_engine(), files, current_user.user_id)
    except ImportInvalid as exc:
        return _problems(exc)
    return _preview(report, _save(files) if not report.nothing_to_do else "")


@bp.post("/impor/terapkan")
def import_apply():
    upload_id = request.form.get("upload", "")
    files = _load(upload_id)
    try:
        report = run_import(get_engine(), files, current_user.user_id, apply=True,
                            expected_digest=request.form.get("digest", ""))
    except ImportInvalid as exc:
        return _problems(exc)
    except ImportStale:
        return _preview(run_import(get_engine(), files, current_user.user_id), upload_id, 409, stale=True)
    shutil.rmtree(_store() / upload_id, ignore_errors=True)
    return render_template("organisation/import_done.html", report=report,
                           base=request.host_url.rstrip("/")), 200


@bp.get("/impor/templat.xlsx")
def import_template():
    return Response(template_xlsx(), mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=templat-organisasi.xlsx"})


@bp.get("/impor/organisasi.xlsx")
def import_current():
    engine = get_engine()
    with engine.session_factory.begin() as session:
        data = organisation_xlsx(session)
        audit.record(session, "org.exported", engine.now(), session.get(User, current_user.user_id), format="xlsx")
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": "attachment; filename=organisasi.xlsx"})
