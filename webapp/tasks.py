"""Inbox and task pages: list what the user may act on, render its form, complete it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import inbox as inbox_service
from engine import instances
from engine.errors import Conflict, FormInvalid, InvalidState, PermissionDenied, ProcessError
from webapp.extensions import get_engine
from webapp.formrender import build_fields, parse_submission
from webapp.markdown import render_instructions

bp = Blueprint("tasks", __name__)


@bp.app_context_processor
def inject_counts() -> dict:
    if current_user.is_authenticated:
        return {"task_count": inbox_service.count(get_engine(), current_user.user_id)}
    return {}


@bp.get("/")
@login_required
def inbox():  # noqa: ANN201
    args = request.args
    page = inbox_service.inbox(
        get_engine(), current_user.user_id, process_id=args.get("process") or None,
        period=args.get("period") or None, subject=args.get("subject") or None,
        sort=args.get("sort", "due"), page=args.get("page", 1, type=int) or 1,
        per_page=get_engine_per_page(),
    )
    return render_template("tasks/inbox.html", page=page, filters=args)


def get_engine_per_page() -> int:
    from flask import current_app

    return int(current_app.config.get("PER_PAGE", 20))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):  # noqa: ANN201
    engine = get_engine()
    view = instances.get_task(engine, current_user.user_id, task_id)  # NotFound -> 404 page
    values = dict(view.data)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        submitted = parse_submission(view.form_schema, request.form)
        values.update(submitted)
        try:
            summary = instances.complete_task(engine, current_user.user_id, task_id, submitted,
                                              expected_version=request.form.get("_version", type=int))
        except FormInvalid as exc:
            errors = {e.path: e.message for e in exc.errors}
            status = 422
        except (Conflict, InvalidState, PermissionDenied, ProcessError) as exc:
            flash(exc.message, "danger")
            return redirect(url_for("tasks.inbox")) if isinstance(exc, Conflict | ProcessError) else \
                redirect(url_for("tasks.task", task_id=task_id))
        else:
            flash("Tugas selesai / Task completed", "success")
            return _next_page(summary.ready_task_ids)
    fields = build_fields(view.form_schema, view.ui_schema, values) if view.form_schema else []
    return render_template("tasks/task.html", view=view, fields=fields, errors=errors,
                           instructions=render_instructions(view.instructions, view.data)), status


def _next_page(ready_ids: list[str]):  # noqa: ANN202
    """Go straight to the user's next task of the same process, else back to the inbox."""
    from engine.assignment import may_act

    engine = get_engine()
    with engine.session_factory() as session:
        for tid in ready_ids:
            if may_act(session, current_user.user_id, tid):
                return redirect(url_for("tasks.task", task_id=tid))
    return redirect(url_for("tasks.inbox"))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):  # noqa: ANN201
    try:
        instances.claim_task(get_engine(), current_user.user_id, task_id)
        flash("Tugas diambil / Task claimed", "success")
    except (Conflict, InvalidState) as exc:
        flash(exc.message, "warning")
    return redirect(url_for("tasks.task", task_id=task_id))


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str):  # noqa: ANN201
    try:
        instances.release_task(get_engine(), current_user.user_id, task_id)
        flash("Tugas dikembalikan ke kelompok / Task released to the group", "info")
    except InvalidState as exc:
        flash(exc.message, "warning")
    return redirect(url_for("tasks.inbox"))


@bp.errorhandler(ValueError)
def bad_value(_exc: ValueError):  # noqa: ANN201
    abort(400)
