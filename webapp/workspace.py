"""The Model proses workspace (/proses/ruang-kerja): process owners edit a deployed bundle's BPMN, DMN and form
files as a server-side draft, validate it with the checks of a deployment, and deploy it with a note.

Pemilik Proses and administrators only (as Model proses); everyone else 403, anonymous visitors the login page.
A bundle's key in URLs is its name with ``/`` written as ``~`` (``bpmn~rules``). The editors talk to the JSON
routes under ``<key>/api`` (contract: /tmp/WORKSPACE_CONTRACT.md, docs/modelling.md "Ruang kerja / Workspace"):
the BPMN and DMN editors are webapp/static/js/workspace, the form editor is this module's page part with
webapp/static/js/form_editor.js. Writes go through ``engine.services.workspace``, which audits each of them.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import DeploymentInvalid, EngineError, Problem
from engine.services import workspace as ws
from engine.services.bundle_zip import export_zip
from engine.services.deployments import MAX_OVERRIDE_REASON, ScenariosFailed
from engine.services.scenarios import show, where_message
from webapp.deployments import MAX_NOTE, may_manage, may_override
from webapp.extensions import get_engine
from webapp.form_preview import data_names, preview
from webapp.i18n import N_, translate

bp = Blueprint("workspace", __name__, url_prefix="/proses/ruang-kerja")

KIND_LABELS = (("bpmn", N_("BPMN processes")), ("dmn", N_("DMN decision tables")), ("form", N_("Forms")),
               ("scenario", N_("Test scenarios")))
# The BPMN and DMN editors, built by `make install` (esbuild) from webapp/static/js/workspace; loaded when present.
EDITOR_SCRIPTS = ("vendor/workspace/workspace.js",)
EDITOR_STYLES = ("vendor/workspace/workspace.css",)


def _present(paths: tuple[str, ...]) -> list[str]:
    static = Path(current_app.static_folder or "")
    return [p for p in paths if (static / p).is_file()]


@bp.before_request
def only_process_owners():
    if not current_user.is_authenticated:
        if _is_api():
            return jsonify(error=_("Please log in first")), 401
        return current_app.login_manager.unauthorized()
    if not may_manage(current_user.account):
        abort(403)
    return None


def _is_api() -> bool:
    return "/api/" in request.path


@bp.errorhandler(EngineError)
def engine_error(exc: EngineError):
    if _is_api():
        body: dict[str, Any] = {"error": translate(exc)}
        if isinstance(exc, ws.DraftConflict):
            body |= {"by": exc.by, "at": exc.at.isoformat() if exc.at else None, "revision": exc.revision}
        return jsonify(body), exc.status
    return render_template("errors/error.html", status=exc.status, message=translate(exc)), exc.status


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    message = _("The form expired; reload the page and try again")
    if _is_api():
        return jsonify(error=message), 400
    return render_template("errors/error.html", status=400, message=message), 400


@bp.errorhandler(413)
def too_large(exc: HTTPException):
    message = _("The request is too large (at most %(mb)s MB); nothing was saved.",
                mb=current_app.config["MAX_CONTENT_LENGTH"] // 2**20)
    if _is_api():
        return jsonify(error=message), 413
    return render_template("errors/error.html", status=413, message=message), 413


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(405)
def http_error(exc: HTTPException):
    if _is_api():
        return jsonify(error=exc.description if exc.code == 400 else exc.name), exc.code
    messages = {403: _("You may not open this page"), 404: _("Not found"), 405: _("Method not allowed")}
    return render_template("errors/error.html", status=exc.code,
                           message=messages.get(exc.code or 400, exc.description)), exc.code


# -- pages ------------------------------------------------------------------------------------------------------

@bp.get("")
def index():
    bundles = ws.list_bundles(get_engine(), current_user.user_id)
    return render_template("workspace/index.html", bundles=bundles, me=current_user.user_id)


def _problem_rows(problems: list[Problem]) -> list[SimpleNamespace]:
    return [SimpleNamespace(file=p.file, line=p.line, column=p.column, element_id=p.element_id,
                            code=p.message.code, message=translate(p.message)) for p in problems]


def _page(key: str, status: int = 200, problems: list[Problem] | None = None, validated: bool = False,
          note: str = "", errors: list[str] | None = None, scenarios_failed: bool = False,
          override_reason: str = ""):
    engine = get_engine()
    space = ws.open_workspace(engine, current_user.user_id, key)
    wanted = request.args.get("file", "")
    selected = space.entry(wanted) or next((f for f in space.files if f.kind == "bpmn"), None) or \
        (space.files[0] if space.files else None)
    form = None
    if selected is not None and selected.kind == "form":
        form = _form_part(space, selected.filename)
    elif selected is not None and selected.kind == "scenario":
        form = SimpleNamespace(scenario=True, schema_name=selected.filename,
                               schema=ws.read_file(engine, current_user.user_id, key, selected.filename).content)
    groups = [(kind, label, [f for f in space.files if f.kind == kind
                             and not (kind == "form" and f.filename.endswith(".uischema.json")
                                      and space.entry(f.filename.replace(".uischema.json", ".schema.json")))])
              for kind, label in KIND_LABELS]
    rows = _problem_rows(problems or [])
    return render_template("workspace/edit.html", space=space, selected=selected, groups=groups, form=form,
                           problems=rows, problems_json=[vars(r) for r in rows], validated=validated, note=note,
                           errors=errors or [], max_note=MAX_NOTE, ws_scripts=_present(EDITOR_SCRIPTS),
                           ws_styles=_present(EDITOR_STYLES), scenarios_failed=scenarios_failed,
                           may_override=may_override(current_user.account), override_reason=override_reason,
                           max_reason=MAX_OVERRIDE_REASON), status


def _form_part(space: ws.Workspace, filename: str) -> SimpleNamespace:
    """The two files of the selected form (its JSON Schema and its UI schema) as the owner sees them now."""
    base = filename
    for suffix in (".uischema.json", ".schema.json", ".json"):
        if filename.endswith(suffix):
            base = filename[: -len(suffix)]
            break
    schema_name, ui_name = ws.form_pairs([f.filename for f in space.files]).get(base, (filename, None))
    schema_name = schema_name or f"{base}.schema.json"
    ui_name = ui_name or f"{base}.uischema.json"
    engine = get_engine()

    def content(name: str) -> str:
        return ws.read_file(engine, current_user.user_id, space.key, name).content if space.entry(name) else ""

    schema, ui = content(schema_name), content(ui_name)
    fields, errors = preview(schema, ui, data_names(ws.draft_files(engine, current_user.user_id, space.key)))
    return SimpleNamespace(scenario=False, base=base, schema_name=schema_name, ui_name=ui_name, schema=schema, ui=ui,
                           errors=errors, preview_html=render_template("workspace/_preview.html", fields=fields))


@bp.get("/<key>")
def edit(key: str):
    return _page(key)


@bp.post("/<key>/validate")
def validate_page(key: str):
    result = ws.validate(get_engine(), current_user.user_id, key)
    if result.ok:
        flash(_("Valid: every check of a deployment passed (%(count)s files).", count=len(result.files)), "success")
        return redirect(url_for("workspace.edit", key=key, file=request.args.get("file") or None))
    return _page(key, 422, problems=result.problems, validated=True)


@bp.post("/<key>/deploy")
def deploy(key: str):
    note = request.form.get("note", "").strip()
    if len(note) > MAX_NOTE:
        return _page(key, 422, note=note, errors=[_("The note may have at most %(most)s characters.",
                                                     most=MAX_NOTE)])
    reason = request.form.get("override_reason", "").strip()[:MAX_OVERRIDE_REASON] \
        if may_override(current_user.account) else ""
    try:
        result = ws.deploy(get_engine(), current_user.user_id, key, note, override_reason=reason)
    except DeploymentInvalid as exc:
        return _page(key, 422, problems=exc.problems, note=note,
                     errors=[_("Nothing was deployed: fix the problems below. Your draft is kept.")],
                     scenarios_failed=isinstance(exc, ScenariosFailed), override_reason=reason)
    except ws.DraftStale as exc:
        return _page(key, 409, note=note, errors=[translate(exc)])
    if result.created:
        versions = ", ".join([f"{p} v{v}" for p, v in result.processes] + [f"{d} v{v}" for d, v in result.decisions])
        flash(_("Deployed from the workspace: %(what)s", what=versions or _("no new versions")), "success")
    else:
        flash(_("Unchanged: the identical bundle was deployed before (deployment #%(id)s).",
                id=result.deployment_id), "info")
    return redirect(url_for("deployments.show", deployment_id=result.deployment_id))


@bp.get("/<key>/ekspor")
def export_draft(key: str):
    """The bundle as the owner's draft makes it, as a zip (ours, or SpiffArena's layout with ?format=spiffarena)."""
    files = ws.draft_files(get_engine(), current_user.user_id, key)
    layout = "spiffarena" if request.args.get("format") == "spiffarena" else "smk"
    response = Response(export_zip(files, layout, key.replace("~", "/")), mimetype="application/zip")
    suffix = "-spiffarena" if layout == "spiffarena" else ""
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}-draf{suffix}.zip"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<key>/discard")
def discard_confirm(key: str):
    space = ws.open_workspace(get_engine(), current_user.user_id, key)
    return render_template("workspace/discard.html", space=space)


@bp.post("/<key>/discard")
def discard(key: str):
    if request.form.get("confirm") != "yes":
        return redirect(url_for("workspace.discard_confirm", key=key))
    dropped = ws.discard(get_engine(), current_user.user_id, key)
    if dropped:
        flash(_("Your draft was discarded (%(files)s).", files=", ".join(dropped)), "info")
    else:
        flash(_("You had no draft of this bundle."), "info")
    return redirect(url_for("workspace.edit", key=key))


@bp.post("/<key>/resolve")
def resolve(key: str):
    filename = request.form.get("file", "")
    keep = request.form.get("keep") == "draft"
    ws.resolve(get_engine(), current_user.user_id, key, filename, keep)
    flash(_("%(file)s: your version is kept.", file=filename) if keep else
          _("%(file)s: the deployed version is taken; your change to it left the draft.", file=filename), "info")
    return redirect(url_for("workspace.edit", key=key, file=filename))


# -- the editors' JSON routes -----------------------------------------------------------------------------------

@bp.get("/<key>/api/files/<filename>")
def api_read(key: str, filename: str):
    found = ws.read_file(get_engine(), current_user.user_id, key, filename)
    return jsonify(filename=found.filename, kind=found.kind, content=found.content, revision=found.revision,
                   source=found.source)


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=_("The request must be a JSON object."))
    return body


@bp.put("/<key>/api/files/<filename>")
def api_save(key: str, filename: str):
    body = _json_body()
    content, revision = body.get("content"), body.get("revision")
    if not isinstance(content, str) or not isinstance(revision, int) or isinstance(revision, bool):
        return jsonify(error=_('Send {"content": text, "revision": the revision you loaded}.')), 400
    try:
        raw = content.encode("utf-8")
    except UnicodeEncodeError:
        return jsonify(error=_("%(file)s is not UTF-8 text; nothing was saved", file=filename)), 400
    new = ws.save_file(get_engine(), current_user.user_id, key, filename, raw, revision)
    return jsonify(revision=new)


@bp.post("/<key>/api/validate")
def api_validate(key: str):
    result = ws.validate(get_engine(), current_user.user_id, key)
    return jsonify(ok=result.ok, problems=[{"file": p.file, "line": p.line, "column": p.column,
                                            "element_id": p.element_id, "message": p.message, "code": p.code}
                                           for p in _problem_rows(result.problems)])


@bp.post("/<key>/api/form-preview")
def api_form_preview(key: str):
    body = _json_body()
    schema, ui = body.get("schema", ""), body.get("uischema", "")
    if not isinstance(schema, str) or not isinstance(ui, str):
        return jsonify(error=_('Send {"schema": text, "uischema": text}.')), 400
    files = ws.draft_files(get_engine(), current_user.user_id, key)
    fields, errors = preview(schema, ui, data_names(files))
    html = render_template("workspace/_preview.html", fields=fields)
    return jsonify(html=html, errors=errors)


@bp.post("/<key>/api/scenarios")
def api_scenarios(key: str):
    """Run the scenario tests of the owner's saved draft (issue 11); the results per scenario as HTML and data."""
    report = ws.run_scenarios(get_engine(), current_user.user_id, key)
    rows = [SimpleNamespace(file=r.filename, title=r.title, passed=r.passed, step=r.step, task=r.task,
                            where=translate(where_message(r)) if not r.passed else "",
                            message=translate(r.message) if r.message else "", seconds=round(r.seconds, 2),
                            differences=[{"what": d.what, "expected": show(d.expected), "actual": show(d.actual)}
                                         for d in r.differences]) for r in report.results]
    problems = _problem_rows(report.problems)
    html = render_template("workspace/_scenario_results.html", rows=rows, problems=problems, key=key,
                           seconds=round(report.seconds, 1))
    return jsonify(ok=report.ok, html=html, passed=sum(r.passed for r in rows), total=len(rows),
                   results=[vars(r) for r in rows], problems=[vars(p) for p in problems])
