"""Tim saya: an assessor's subordinates, what waits for the assessor, and the predikat curve."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from processes.queries import UNIT_PREDIKAT, my_team
from webapp.extensions import get_engine

bp = Blueprint("team", __name__)


@bp.get("/team")
@login_required
def index():
    team = my_team(get_engine(), current_user.user_id, request.args.get("period") or None,
                   request.args.get("unit") or None)
    return render_template("team/index.html", team=team, unit_choices=UNIT_PREDIKAT)
