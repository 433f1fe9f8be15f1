"""Inbox and task pages: list what the user may act on, render its form, save a draft or complete it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from engine.errors import Conflict, FormInvalid, InvalidState, PermissionDenied, ProcessError
from engine.limits import current as current_limits
from engine.queries import inbox as inbox_service
from engine.services import documents, instances
from webapp import lookups
from webapp.args import page_arg
from webapp.extensions import get_engine
from webapp.formrender import build_fields, field_at, file_limits, parse_submission
from webapp.i18n import LANGUAGES, shown, tr
from webapp.markdown import render_instructions

bp = Blueprint("tasks", __name__)


@bp.get("/")
@login_required
def inbox():
    args = request.args
    engine = get_engine()
    scope = args.get("scope") if args.get("scope") in inbox_service.SCOPES else "all"
    view = inbox_service.inbox_view(
        engine, current_user.user_id, scope=scope, process_id=args.get("process") or None,
        period=args.get("period") or None, subject=args.get("subject") or None,
        due=args.get("due") if args.get("due") in inbox_service.DUE_FILTERS else None,
        sort=args.get("sort", "due"), page=page_arg(args),
        per_page=int(current_app.config.get("PER_PAGE", 20)))
    g.task_count = view.open_tasks  # the navigation's badge, already counted
    page, facets, waiting = view.page, view.facets, view.waiting
    filtered = any(args.get(k) for k in ("process", "period", "subject", "due")) or scope != "all"
    return render_template("tasks/inbox.html", page=page, filters=args, scope=scope, facets=facets,
                           waiting=waiting, waiting_steps=view.waiting_steps, filtered=filtered)


def _store_uploads(task_id: str, view: Any, form: MultiDict) -> dict[str, str]:
    """Store each uploaded file first and put its reference into the form; return upload errors by path."""
    errors: dict[str, str] = {}
    for key, storage in request.files.items(multi=True):
        if not storage or not storage.filename:
            continue
        found = field_at(view.form_schema, view.ui_schema, key)
        if found is None or (found[2].get("ui:widget") != "file"):
            continue
        path, prop, ui = found
        accept, limit = file_limits(prop, ui)
        content = storage.read(limit + 1)
        try:
            ref = documents.store_upload(get_engine(), current_user.user_id, task_id, path, storage.filename,
                                         content, accept, limit)
        except FormInvalid as exc:
            errors.update({e.path: shown(e.message) for e in exc.errors})
            continue
        form.setlist(key, [ref.as_value()])
    return errors


def _check_file_refs(view: Any, form: MultiDict) -> dict[str, str]:
    """Keep a posted file reference only when it names a document of this process (an earlier upload);
    a forged or foreign one is dropped with a message on its field. Return those messages by path."""
    errors: dict[str, str] = {}
    for key in list(form.keys()):
        found = field_at(view.form_schema, view.ui_schema, key)
        if found is None or found[2].get("ui:widget") != "file" or not form.get(key):
            continue
        ref = documents.verified_ref(get_engine(), view.instance_id, form.get(key))
        if ref is None:
            form.setlist(key, [""])
            errors[found[0]] = _("The file was not found; upload it again")
        else:
            form.setlist(key, [ref.as_value()])
    return errors


@dataclass
class _FormOnly:
    """The part of a task view that parsing a posted form needs (the schemas, and the instance for file refs)."""

    instance_id: int
    form_schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None


class _RefusedFiles(Exception):
    """A posted file reference is not one of this process's documents: complete nothing, show the form."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("file references refused")
        self.errors = errors


def _complete_in_one_transaction(engine: Any, task_id: str, form: MultiDict) -> tuple[Any, dict[str, Any]]:
    """Complete the task from the posted form in one writing transaction: the service reads the task, the
    instance and the workflow once and hands this function the form's schemas to parse the post with; the
    draft goes and the next task is found in the same transaction. Return the summary and the parsed values."""
    parsed: dict[str, Any] = {}

    def parse(schema: dict[str, Any] | None, ui_schema: dict[str, Any] | None, instance_id: int) -> dict[str, Any]:
        refused = _check_file_refs(_FormOnly(instance_id, schema, ui_schema), form)
        parsed.update(parse_submission(schema, form))
        if refused:
            raise _RefusedFiles(refused)
        return parsed

    summary = instances.complete_task(engine, current_user.user_id, task_id, parse,
                                      expected_version=request.form.get("_version", type=int), discard_draft=True)
    return summary, parsed


def _flash_completed(summary: Any) -> None:
    """Say what the submission did: passed on, or given back as the same step (a model that checks the entry and
    returns the task with what to correct, e.g. a calibration that still breaks the curve)."""
    if summary.again:
        flash(_("The process gave this task back to you: read its message before you submit again."), "warning")
    else:
        flash(_("Task completed and passed on."), "success")


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    engine = get_engine()
    simple_post = (request.method == "POST" and request.form.get("_action") != "draft" and not request.files
                   and _field_count() <= current_limits().max_form_fields)
    view = None if simple_post else instances.get_task(engine, current_user.user_id, task_id)  # NotFound -> 404
    values: dict[str, Any] = dict(view.data) if view else {}
    errors: dict[str, str] = {}
    status = 200
    conflict = False
    draft = view.draft if view else None
    if request.method == "GET" and draft:
        values.update(draft[0])
    if request.method == "POST" and _field_count() > current_limits().max_form_fields:
        # Refused before anything is parsed or stored: a 600,000-field POST must not become a draft.
        errors, status = {"": _("The form sent too many fields (%(count)s; at most %(most)s); nothing was saved",
                                count=_field_count(), most=current_limits().max_form_fields)}, 413
        values.update(draft[0] if draft else {})
    elif simple_post:
        # The hot path: no view is read first; the completion parses the form inside its one transaction.
        form = request.form.copy()
        try:
            summary, _parsed = _complete_in_one_transaction(engine, task_id, form)
        except (FormInvalid, _RefusedFiles) as exc:
            errors = {e.path: shown(e.message) for e in exc.errors} if isinstance(exc, FormInvalid) else exc.errors
            status = 422
            view = instances.get_task(engine, current_user.user_id, task_id)
            draft, values = view.draft, dict(view.data) | parse_submission(view.form_schema, form)
        except Conflict:
            # Someone changed the process meanwhile: keep what was typed, show the fresh version.
            view = instances.get_task(engine, current_user.user_id, task_id)
            draft, values = view.draft, dict(view.data) | parse_submission(view.form_schema, form)
            conflict, status = True, 409
        except (InvalidState, PermissionDenied, ProcessError) as exc:
            flash(shown(exc), "danger")
            return redirect(url_for("tasks.inbox")) if isinstance(exc, ProcessError) else \
                redirect(url_for("tasks.task", task_id=task_id))
        else:
            _flash_completed(summary)
            return _next_page(summary.next_task_id)
    elif request.method == "POST":
        assert view is not None
        form = request.form.copy()
        errors = _check_file_refs(view, form) | _store_uploads(task_id, view, form)
        submitted = parse_submission(view.form_schema, form)
        values.update(submitted)
        if request.form.get("_action") == "draft":
            try:
                documents.save_draft(engine, current_user.user_id, task_id, submitted)
            except FormInvalid as exc:  # the draft is too large: say so on the form, keep what was typed
                errors, status = errors | {e.path: shown(e.message) for e in exc.errors}, 413
            else:
                if request.form.get("_lang") in LANGUAGES:  # the language switch saved the form on its way
                    session["lang"] = request.form["_lang"]
                    refresh()  # the message below in the language chosen
                flash(_("Draft saved. You can continue later."), "success")
                return redirect(url_for("tasks.task", task_id=task_id))
        elif errors:
            status = 422
        else:
            try:
                summary = instances.complete_task(engine, current_user.user_id, task_id, submitted,
                                                  expected_version=request.form.get("_version", type=int),
                                                  discard_draft=True)
            except FormInvalid as exc:
                errors = {e.path: shown(e.message) for e in exc.errors}
                status = 422
            except Conflict:
                # Someone changed the process meanwhile: keep what was typed, show the fresh version.
                view = instances.get_task(engine, current_user.user_id, task_id)
                conflict, status = True, 409
            except (InvalidState, PermissionDenied, ProcessError) as exc:
                flash(shown(exc), "danger")
                return redirect(url_for("tasks.inbox")) if isinstance(exc, ProcessError) else \
                    redirect(url_for("tasks.task", task_id=task_id))
            else:
                _flash_completed(summary)
                return _next_page(summary.next_task_id)
    assert view is not None
    fields = build_fields(view.form_schema, view.ui_schema, values) if view.form_schema else []
    instructions = render_instructions(tr(view.instructions), view.data)
    return render_template("tasks/task.html", view=view, fields=fields, errors=errors, conflict=conflict,
                           draft_at=draft[1] if draft else None, instructions=instructions), status


def _next_page(next_task_id: str | None):
    """Go straight to the user's next task of the same process (the completion found it), else to the inbox."""
    return redirect(url_for("tasks.task", task_id=next_task_id) if next_task_id else url_for("tasks.inbox"))


@bp.get("/tasks/<task_id>/lookup/<name>")
@login_required
def lookup(task_id: str, name: str):
    """A form field's type-ahead (``"ui:options": {"lookup": name}``, webapp/lookups.py): the matches for ``q``, at
    most ``limit`` (20; 50 at most). Only for a task the user may act on (404 otherwise, as the task page answers)
    whose form names that lookup."""
    view = instances.get_task(get_engine(), current_user.user_id, task_id)  # NotFound -> 404, as for the page
    limit = request.args.get("limit", "")
    found = lookups.answer(get_engine(), view, name, request.args.get("q", ""),
                           int(limit) if limit.isascii() and limit.isdigit() else lookups.LIMIT)
    if found is None:
        abort(404)
    return jsonify(found)


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):
    try:
        instances.claim_task(get_engine(), current_user.user_id, task_id)
        flash(_("Task claimed; the rest of the group now sees it as yours."), "success")
    except (Conflict, InvalidState) as exc:
        flash(shown(exc), "warning")
    return redirect(url_for("tasks.task", task_id=task_id))


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str):
    try:
        instances.release_task(get_engine(), current_user.user_id, task_id)
        flash(_("Task released to the group."), "info")
    except InvalidState as exc:
        flash(shown(exc), "warning")
    return redirect(url_for("tasks.inbox"))


@bp.errorhandler(ValueError)
def bad_value(_exc: ValueError):
    # A page, not abort(): an abort inside an error handler is itself an error, and the user saw a 500.
    return render_template("errors/error.html", status=400,
                           message=_("The page sent a value that cannot be read; reload it and try again")), 400


def _field_count() -> int:
    """Count the fields and files a POST carries (a repeated name counts each time)."""
    return sum(len(values) for _key, values in request.form.lists()) + \
        sum(len(values) for _key, values in request.files.lists())
