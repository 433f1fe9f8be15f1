"""Process models for process owners: deployed processes and decisions, deploying a bundle, one deployment.

Members of "Pemilik Proses" and administrators only; everyone else gets 403, anonymous visitors the login page.
Reading goes through ``engine.views_deployments``, deploying through ``engine.deployments.deploy``.
"""

from __future__ import annotations

import re
import unicodedata
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from engine.access import LANES
from engine.deploy.bundles import MAX_FILE_BYTES, MAX_FILES
from engine.errors import DeploymentInvalid, Problem
from engine.queries import deployments as views
from engine.services import migration
from engine.services.bundle_zip import export_zip, import_zip
from engine.services.deployments import MAX_OVERRIDE_REASON, DeploymentResult, ScenariosFailed, deploy
from engine.services.diff import BundleDiff, diff_deployments, previous_deployment
from engine.services.scenarios import deployment_record
from webapp.args import int_arg, page_arg
from webapp.extensions import get_engine
from webapp.i18n import shown

bp = Blueprint("deployments", __name__, url_prefix="/proses")

MAX_NAME = 255
MAX_NOTE = 2000
ACCEPT = ".bpmn,.dmn,.json,.zip"
MAX_ZIP_BYTES = 32 * 2**20


def may_manage(account: Any) -> bool:
    """Process owners and administrators (the navigation shows the link to them only)."""
    return any(account.in_group(g) for g in LANES.roles.model_managers)


@bp.before_request
def only_process_owners():
    """Send anonymous visitors to the login page and refuse everyone but process owners and administrators."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not may_manage(current_user.account):
        abort(403)
    return None


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 20))


@bp.get("")
def index():
    engine = get_engine()
    processes = views.list_processes(engine, current_user.user_id, page_arg(request.args), _per_page())
    decisions = views.list_decisions(engine, current_user.user_id,
                                     max(1, int_arg(request.args, "dpage", 1) or 1), _per_page())
    return render_template("deployments/index.html", processes=processes, decisions=decisions, args=request.args)


def may_override(account: Any) -> bool:
    """Administrators may deploy a bundle whose scenario tests fail, with a written reason (process owners not)."""
    return any(account.in_group(g) for g in LANES.roles.admin)


def _form(status: int = 200, name: str = "", note: str = "", errors: list[str] | None = None,
          problems: list[Problem] | None = None, files: list[str] | None = None, scenarios_failed: bool = False,
          override_reason: str = ""):
    # Each problem as the page shows it: located as the engine found it, its message in the current language.
    rows = [SimpleNamespace(**vars(p) | {"message": shown(p.message)}) for p in problems or []]
    return render_template("deployments/deploy.html", name=name, note=note, errors=errors or [],
                           problems=rows, uploaded=files or [], accept=ACCEPT, max_files=MAX_FILES,
                           max_mib=MAX_FILE_BYTES // 2**20, scenarios_failed=scenarios_failed,
                           may_override=may_override(current_user.account), override_reason=override_reason,
                           max_reason=MAX_OVERRIDE_REASON), status


@bp.get("/deploy")
def deploy_form():
    return _form()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean_filename(raw: str) -> str | None:
    """The file's own name (browsers send no folders; older ones did), or None when it is not clean UTF-8."""
    name = re.split(r"[\\/]", raw)[-1].strip()
    if "\ufffd" in name or _CONTROL.search(name):
        return None
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: the browser's bytes were not UTF-8
        return None
    return unicodedata.normalize("NFC", name)


def _read_uploads(uploads: list[FileStorage]) -> tuple[dict[str, bytes], list[str]]:
    """Read the chosen files with the limits checked before the engine sees them; return files and messages."""
    errors: list[str] = []
    chosen = [u for u in uploads if u.filename]
    if not chosen:
        return {}, [_("No file chosen: choose one or more .bpmn, .dmn or .json files.")]
    if len(chosen) > MAX_FILES:
        return {}, [_("Too many files (%(count)s); at most %(most)s.", count=len(chosen), most=MAX_FILES)]
    files: dict[str, bytes] = {}
    if len(chosen) == 1 and (chosen[0].filename or "").lower().endswith(".zip"):
        return _read_zip(chosen[0])
    for upload in chosen:
        name = _clean_filename(upload.filename or "")
        if not name:
            errors.append(_("A file name is not valid UTF-8 text; rename the file and upload it again."))
            continue
        content = upload.stream.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            errors.append(_("%(name)s: the file is larger than %(mib)s MiB.", name=name, mib=MAX_FILE_BYTES // 2**20))
            continue
        if name in files:
            errors.append(_("%(name)s: chosen twice; each file name may appear once.", name=name))
            continue
        files[name] = content
    return files, errors


def _read_zip(upload: FileStorage) -> tuple[dict[str, bytes], list[str]]:
    """A bundle zipped (ours, or a SpiffArena process group); what SpiffArena has and we do not run is flashed."""
    data = upload.stream.read(MAX_ZIP_BYTES + 1)
    if len(data) > MAX_ZIP_BYTES:
        return {}, [_("The zip is larger than %(mib)s MiB.", mib=MAX_ZIP_BYTES // 2**20)]
    try:
        imported = import_zip(data)
    except DeploymentInvalid as exc:
        return {}, [shown(p.message) for p in exc.problems]
    if imported.layout == "spiffarena":
        flash(_("Read a SpiffArena process group: %(num)d files; forms renamed to SMK Workflow's names.",
                num=len(imported.files)), "info")
    for note in imported.unsupported:
        flash(_("Not supported here: %(note)s", note=note), "warning")
    return imported.files, []


def _summary(result: DeploymentResult) -> str:
    versions = ", ".join(f"{pid} v{v}" for pid, v in result.processes)
    decisions = ", ".join(f"{did} v{v}" for did, v in result.decisions)
    if not result.created:
        return _("Unchanged: the identical bundle was deployed before (deployment #%(id)s).", id=result.deployment_id)
    parts = [p for p in (versions, decisions and _("decisions %(decisions)s", decisions=decisions)) if p]
    return _("Deployed: %(what)s", what="; ".join(parts) or _("no new versions"))


@bp.post("/deploy")
def deploy_submit():
    name = request.form.get("name", "").strip()
    note = request.form.get("note", "").strip()
    errors: list[str] = []
    if len(name) > MAX_NAME:
        errors.append(_("The name may have at most %(most)s characters.", most=MAX_NAME))
    if len(note) > MAX_NOTE:
        errors.append(_("The note may have at most %(most)s characters.", most=MAX_NOTE))
    reason = request.form.get("override_reason", "").strip() if may_override(current_user.account) else ""
    if len(reason) > MAX_OVERRIDE_REASON:
        errors.append(_("The reason may have at most %(most)s characters.", most=MAX_OVERRIDE_REASON))
    files, file_errors = _read_uploads(request.files.getlist("files"))
    errors += file_errors
    if errors:
        return _form(422, name, note, errors=errors, files=sorted(files), override_reason=reason)
    try:
        result = deploy(get_engine(), files, current_user.user_id, name=name, note=note, override_reason=reason)
    except DeploymentInvalid as exc:
        return _form(422, name, note, problems=exc.problems, files=sorted(files),
                     scenarios_failed=isinstance(exc, ScenariosFailed), override_reason=reason)
    flash(_summary(result), "success" if result.created else "info")
    return redirect(url_for("deployments.show", deployment_id=result.deployment_id))


@bp.get("/deployments/<int:deployment_id>")
def show(deployment_id: int):
    engine = get_engine()
    detail = views.get_deployment(engine, current_user.user_id, deployment_id)  # NotFound -> 404
    diagrams = detail.bpmn_files
    chosen = int_arg(request.args, "diagram")
    changes = _changes_since_previous(engine, deployment_id)
    changed_first = [f for f in diagrams if changes is not None and changes.markers(f.filename)] + list(diagrams)
    diagram = next((f for f in diagrams if f.id == chosen), None) or (changed_first[0] if diagrams else None)
    xml = None
    if diagram is not None:
        stored = views.get_deployment_file(engine, current_user.user_id, deployment_id, diagram.id)
        xml = stored.content.decode("utf-8", errors="replace")
    markers = changes.markers(diagram.filename) if changes is not None and diagram is not None else {}
    record = deployment_record(engine, deployment_id)  # the scenario tests run when it was deployed
    older_running = {v.process_id: migration.candidate_count(engine, v.process_id, v.version)
                     for v in detail.processes}
    return render_template("deployments/show.html", detail=detail, diagram=diagram, diagram_xml=xml,
                           older_running=older_running, scenarios=record,
                           scenario_failures=[(f, shown(m)) for f, m in record.messages] if record else [],
                           changes=changes, changes_against=changes_against(engine, deployment_id),
                           added=" ".join(k for k, v in markers.items() if v == "added"),
                           changed=" ".join(k for k, v in markers.items() if v == "changed"))


# The words of engine.services.diff, as a process owner reads them (the engine speaks English to the CLI).
_CHANGE_WORDS = {
    "process": lazy_gettext("Process"), "decision": lazy_gettext("Decision table"), "form": lazy_gettext("Form"),
    "file": lazy_gettext("File"), "added": lazy_gettext("added"), "removed": lazy_gettext("removed"),
    "changed": lazy_gettext("changed"), "name": lazy_gettext("name"), "lane": lazy_gettext("lane"),
    "script": lazy_gettext("script"), "pre-script": lazy_gettext("pre-script"),
    "post-script": lazy_gettext("post-script"), "conditions": lazy_gettext("conditions"),
    "default flow": lazy_gettext("default flow"), "event (timer, message, signal)": lazy_gettext("event (timer, message, signal)"),
    "extension properties (form, instructions, operator …)": lazy_gettext("properties (form, instructions, operator …)"),
    "called element": lazy_gettext("called process"), "called decision": lazy_gettext("called decision"),
    "service operator": lazy_gettext("service operator"), "operator parameters": lazy_gettext("operator parameters"),
    "data inputs": lazy_gettext("data inputs"), "data outputs": lazy_gettext("data outputs"),
    "inputs/outputs": lazy_gettext("inputs/outputs"), "documentation": lazy_gettext("documentation"),
    "interrupting": lazy_gettext("interrupting"), "input": lazy_gettext("input"), "output": lazy_gettext("output"),
    "row": lazy_gettext("row"), "description": lazy_gettext("description"), "hit policy": lazy_gettext("hit policy"),
    "input columns": lazy_gettext("input columns"), "output columns": lazy_gettext("output columns"),
    "value": lazy_gettext("value"), "content": lazy_gettext("content"), "table": lazy_gettext("table"),
    "expression": lazy_gettext("expression"),
}


@bp.app_template_filter("change_word")
def change_word(key: str) -> str:
    """A diff field or kind in the page's language: "input Persen" → "masukan Persen", "script" → "skrip"."""
    if key in _CHANGE_WORDS:
        return str(_CHANGE_WORDS[key])
    word, sep, rest = key.partition(" · ")
    if sep and word in _CHANGE_WORDS:
        return f"{_CHANGE_WORDS[word]} · {_CHANGE_WORDS.get(rest, rest)}"
    head, space, tail = key.partition(" ")
    if space and head in ("input", "output", "row"):
        return f"{_CHANGE_WORDS[head]} {tail}"
    return key


def changes_against(engine: Any, deployment_id: int) -> int | None:
    """The earlier deployment of the same bundle this one is compared with."""
    with engine.session_factory() as session:
        return previous_deployment(session, deployment_id)


def _changes_since_previous(engine: Any, deployment_id: int) -> BundleDiff | None:
    previous = changes_against(engine, deployment_id)
    return None if previous is None else diff_deployments(engine, previous, deployment_id)


@bp.get("/deployments/<int:deployment_id>/files/<int:file_id>")
def download(deployment_id: int, file_id: int):
    stored = views.get_deployment_file(get_engine(), current_user.user_id, deployment_id, file_id)
    response = Response(stored.content, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = _attachment(stored.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["ETag"] = stored.sha256
    return response


@bp.get("/deployments/<int:deployment_id>/ekspor")
def export(deployment_id: int):
    """The deployment's files as a zip: ours (flat) or SpiffArena's process-model folders (?format=spiffarena)."""
    engine = get_engine()
    detail = views.get_deployment(engine, current_user.user_id, deployment_id)  # NotFound -> 404
    files = {f.filename: views.get_deployment_file(engine, current_user.user_id, deployment_id, f.id).content
             for f in detail.files}
    layout = "spiffarena" if request.args.get("format") == "spiffarena" else "smk"
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", detail.name).strip("-") or "bundle"
    response = Response(export_zip(files, layout, detail.name), mimetype="application/zip")
    suffix = "-spiffarena" if layout == "spiffarena" else ""
    response.headers["Content-Disposition"] = _attachment(f"{stem}-{deployment_id}{suffix}.zip")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _attachment(filename: str) -> str:
    """An attachment header with an ASCII fallback name and the exact name in RFC 5987 form."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename).lstrip(".") or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
