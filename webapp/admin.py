"""Administration pages: instances by status, errored instances, and one instance's operations."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.db.runtime import INSTANCE_STATUSES
from engine.errors import Conflict, FormInvalid, InvalidState, NotFound, ProcessError
from engine.services import admin_ops
from webapp.args import int_arg, page_arg
from webapp.extensions import get_engine
from webapp.i18n import shown

bp = Blueprint("admin", __name__, url_prefix="/admin")

JSON_HELP = '{"jumlah": 4}'


@bp.before_request
def only_administrators():
    """Send anonymous visitors to the login page and refuse everyone but administrators."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.account.is_admin:
        abort(403)
    return None


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 20))


def _list(**filters: Any) -> Any:
    """One page of instances; a page past the end shows the last one."""
    page = admin_ops.list_instances(get_engine(), current_user.user_id, page=page_arg(request.args),
                                    per_page=_per_page(), **filters)
    if page.page > page.pages:
        page = admin_ops.list_instances(get_engine(), current_user.user_id, page=page.pages,
                                        per_page=_per_page(), **filters)
    return page


@bp.get("/")
def index():
    status = request.args.get("status") or None
    if status not in (None, *INSTANCE_STATUSES):
        status = None
    processes = admin_ops.process_choices(get_engine(), current_user.user_id)
    process = (request.args.get("process") or "").strip()[:120] or None
    page = _list(status=status, process_id=process)
    return render_template("admin/index.html", page=page, status=status, statuses=INSTANCE_STATUSES,
                           processes=processes, process=process, filters=request.args)


@bp.get("/errors")
def errors():
    page = _list(status="error")
    return render_template("admin/errors.html", page=page, filters=request.args)


def _instance_page(instance_id: int, status: int = 200, **extra: Any):
    engine = get_engine()
    detail = admin_ops.get_instance(engine, current_user.user_id, instance_id)
    context = {"detail": detail, "patch_text": "{}", "patch_error": None, "json_help": JSON_HELP,
               "timers": admin_ops.instance_timers(engine, current_user.user_id, instance_id)}
    context.update(extra)
    return render_template("admin/instance.html", **context), status


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int):
    return _instance_page(instance_id)


def _back(instance_id: int):
    return redirect(url_for("admin.instance", instance_id=instance_id))


def _version() -> int | None:
    return request.form.get("_version", type=int)


@bp.post("/instances/<int:instance_id>/suspend")
def suspend(instance_id: int):
    return _run(instance_id, lambda: admin_ops.suspend(
        get_engine(), current_user.user_id, instance_id, request.form.get("reason", ""), _version()),
        _("Instance suspended"))


@bp.post("/instances/<int:instance_id>/resume")
def resume(instance_id: int):
    return _run(instance_id, lambda: admin_ops.resume(
        get_engine(), current_user.user_id, instance_id, request.form.get("reason", ""), _version()),
        _("Instance resumed"))


@bp.post("/instances/<int:instance_id>/terminate")
def terminate(instance_id: int):
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("A reason for terminating is required"), "danger")
        return _back(instance_id)
    if request.form.get("confirm") != "yes":
        # The destructive step needs a second, explicit confirmation.
        detail = admin_ops.get_instance(get_engine(), current_user.user_id, instance_id)
        return render_template("admin/confirm_terminate.html", detail=detail, reason=reason, version=_version())
    return _run(instance_id, lambda: admin_ops.terminate(
        get_engine(), current_user.user_id, instance_id, reason, _version()),
        _("Instance terminated"))


@bp.post("/instances/<int:instance_id>/timers/fire")
def fire_timers(instance_id: int):
    """Fire the instance's due timers now, without waiting for the worker's next pass."""
    return _run(instance_id, lambda: admin_ops.fire_due_timers_now(get_engine(), current_user.user_id, instance_id,
                                                                    _version()),
                _("The due timers fired."))


@bp.post("/instances/<int:instance_id>/retry")
def retry(instance_id: int):
    text = request.form.get("patch", "").strip() or "{}"
    try:
        patch = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return _instance_page(instance_id, 422, patch_text=text, patch_error=(
            _("Invalid JSON (line %(line)s, column %(column)s): %(detail)s",
              line=exc.lineno, column=exc.colno, detail=exc.msg)))
    except ValueError as exc:  # NaN / Infinity: Python reads them, but they are not JSON and no database keeps them
        return _instance_page(instance_id, 422, patch_text=text, patch_error=(
            _("Invalid JSON: %(value)s is not a JSON number", value=str(exc))))
    except RecursionError:
        return _instance_page(instance_id, 422, patch_text=text, patch_error=(
            _("Invalid JSON: nested too deeply")))
    if not isinstance(patch, dict):
        return _instance_page(instance_id, 422, patch_text=text, patch_error=(
            _("The corrected data must be a JSON object")))
    return _run(instance_id, lambda: admin_ops.retry(
        get_engine(), current_user.user_id, instance_id, patch, _version()),
        _("The failed step was run again"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


@bp.get("/users.json")
def user_search():
    """The reassign picker's type-ahead: active users matching ``q`` (name, username, NIP, position), at most
    ``limit`` (20; 50 at most); with ``task``, only those who may act on that task by its lane (holders, Plt/Plh,
    group members). Administrators only (this blueprint's guard)."""
    asked = int_arg(request.args, "limit")
    limit = admin_ops.PICKER_LIMIT if asked is None else asked
    task_id = request.args.get("task", "").strip()[:64] or None  # the picker of one task: only who may act on it
    found = admin_ops.user_choices(get_engine(), current_user.user_id, request.args.get("q", ""), limit, task_id)
    response = jsonify({"users": [{"id": u.id, "username": u.username, "name": u.full_name, "nip": u.nip,
                                   "position": u.position} for u in found]})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id: str):
    instance_id = int_arg(request.form, "instance_id")
    user_id = int_arg(request.form, "user_id")
    typed = request.form.get("user", "").strip()[:100]
    if user_id is None and typed:  # the picker's text field: a username or NIP (typed, or chosen from the list)
        user_id = admin_ops.find_user(get_engine(), current_user.user_id, typed)
        if user_id is None:
            flash(_("No user has the username or NIP %(text)s", text=typed), "danger")
            return _back(instance_id) if instance_id else redirect(url_for("admin.index"))
    if user_id is None:
        flash(_("Choose a user"), "danger")
        return _back(instance_id) if instance_id else redirect(url_for("admin.index"))
    result = None
    try:
        result = admin_ops.reassign(get_engine(), current_user.user_id, task_id, user_id)
        flash(_("Task reassigned"), "success")
    except (Conflict, InvalidState, NotFound) as exc:
        flash(shown(exc), "danger")
    target = result.id if result else instance_id
    return _back(target) if target else redirect(url_for("admin.index"))


def _run(instance_id: int, action: Any, done: str):
    """Run one operation, flash its outcome, and go back to the instance page."""
    try:
        action()
        flash(done, "success")
    except (Conflict, InvalidState, ProcessError, FormInvalid) as exc:
        flash(shown(exc), "danger")  # a FormInvalid gives its field's message
    return _back(instance_id)
