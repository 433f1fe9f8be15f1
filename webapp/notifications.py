"""The notifications page: the user's own notices, opened one by one or all marked read."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from engine.limits import current as current_limits
from engine.services import notifications as service
from webapp.args import page_arg
from webapp.extensions import get_engine

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    page = service.list_for(get_engine(), current_user.user_id, page=page_arg(request.args),
                            per_page=int(current_app.config.get("PER_PAGE", 20)))
    return render_template("notifications/index.html", page=page,
                           unread=service.unread_count(get_engine(), current_user.user_id),
                           kept_days=current_limits().notification_days)


@bp.post("/notifications/read")
@login_required
def read_all():
    count = service.mark_read(get_engine(), current_user.user_id)
    flash(ngettext("%(num)d notification marked read", "%(num)d notifications marked read", count), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Mark one notification read and go to its task (another user's id is a 404)."""
    service.mark_read(get_engine(), current_user.user_id, notification_id)
    task_id = request.form.get("task_id")
    if task_id:
        return redirect(url_for("tasks.task", task_id=task_id))
    return redirect(url_for("notifications.index"))
