"""Moving running instances to a newer version of their process, from Model proses (process owners and
administrators). The page examines the candidates (SpiffWorkflow's diff of each instance against the target
version), lists those that cannot move with the reason, and moves the others in batches on request; each
instance in its own transaction, audited, resumable (a second run picks up what is left)."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from engine.services import migration
from webapp.deployments import only_process_owners
from webapp.extensions import get_engine

bp = Blueprint("migration", __name__, url_prefix="/proses/migrasi")
bp.before_request(only_process_owners)

#: How many candidates the page examines (each is loaded and compared); the command line has no limit.
EXAMINE = 300
#: How long one POST keeps moving batches before it answers with the progress so far.
SECONDS_PER_REQUEST = 8.0
BATCH = 50

_STATES = {"completed": lazy_gettext("completed"), "ready": lazy_gettext("waiting for a person"),
           "running": lazy_gettext("running"), "failed": lazy_gettext("failed"), "settled": lazy_gettext("settled")}
_CHANGES = {"removed": lazy_gettext("was removed"), "changed": lazy_gettext("was changed")}


def reason_text(reason: migration.Reason) -> str:
    """A reason in the page's language."""
    if reason.change == "subprocess":
        return _("the subprocess %(name)s does not exist in the new version", name=reason.step)
    return _("step %(step)s is %(state)s and %(change)s in the new version", step=reason.step,
             state=_STATES.get(reason.state, reason.state), change=_CHANGES.get(reason.change, reason.change))


@bp.get("/<process_id>/<int:version>")
def show(process_id: str, version: int):
    engine = get_engine()
    plan = migration.plan(engine, process_id, version, current_user.user_id, limit=EXAMINE)  # NotFound -> 404
    return render_template("deployments/migrate.html", plan=plan, reason_text=reason_text,
                           moved=request.args.get("moved", type=int), failed=request.args.get("failed", type=int),
                           examine=EXAMINE)


@bp.post("/<process_id>/<int:version>")
def run(process_id: str, version: int):
    engine = get_engine()
    if request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation to move the instances."), "danger")
        return redirect(url_for("migration.show", process_id=process_id, version=version))
    moved, failed, after_id = 0, 0, 0
    deadline = time.monotonic() + SECONDS_PER_REQUEST
    while time.monotonic() < deadline:
        batch = migration.migrate_batch(engine, process_id, version, current_user.user_id, BATCH, after_id)
        moved += len(batch.moved)
        failed += len(batch.failed)
        handled = batch.moved + [b.instance_id for b in batch.blocked] + list(batch.failed)
        if not handled or batch.remaining == 0:
            break
        after_id = max(handled)
    if moved:
        flash(_("%(num)d instances moved to version %(version)d.", num=moved, version=version), "success")
    return redirect(url_for("migration.show", process_id=process_id, version=version, moved=moved, failed=failed))
