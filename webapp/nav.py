"""What the navigation bar needs on every page: task count, "Tim saya", notifications, process models,
administration."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from engine.access import LANES
from processes.navigation import navigation_facts
from webapp.deployments import may_manage
from webapp.extensions import get_engine


def _admin_url() -> str | None:
    account = current_user.account
    # Only administrators may use the admin pages; showing the link to others would lead them to a 403.
    if "admin" not in current_app.blueprints or not account.is_admin:
        return None
    try:
        return url_for("admin.index")
    except BuildError:
        return None


def _models_url() -> str | None:
    """The process owner's page (Model proses): process owners and administrators only, like the blueprint."""
    if "deployments" not in current_app.blueprints:
        return None
    return url_for("deployments.index") if may_manage(current_user.account) else None


def _audit_url() -> str | None:
    """The audit pages: Biro SDM and administrators only (``LANES.roles.auditors``), like the blueprint."""
    if "audit" not in current_app.blueprints:
        return None
    return url_for("audit.search") if any(current_user.account.in_group(g) for g in LANES.roles.auditors) else None


def _organisation_url() -> str | None:
    """The organisation pages (acting officials): Biro SDM and administrators (``LANES.roles.org_admins``)."""
    if "organisation" not in current_app.blueprints:
        return None
    return (url_for("organisation.acting_list")
            if any(current_user.account.in_group(g) for g in LANES.roles.org_admins) else None)


def _periods_url() -> str | None:
    """Periode kinerja (open a period, its progress): Biro SDM and administrators (``LANES.roles.org_admins``)."""
    if "periods" not in current_app.blueprints:
        return None
    return (url_for("periods.index")
            if any(current_user.account.in_group(g) for g in LANES.roles.org_admins) else None)


def _reports_url(sees_reports: bool) -> str | None:
    """The reports (Laporan): Biro SDM, administrators and unit heads, as ``processes.reports`` decides."""
    if "reports" not in current_app.blueprints:
        return None
    return url_for("reports.index") if sees_reports else None


def init_app(app: Flask) -> None:
    @app.context_processor
    def navigation() -> dict[str, Any]:
        if not current_user.is_authenticated:
            return {}
        counted = g.get("task_count")  # the inbox page counted them already
        facts = navigation_facts(get_engine(), current_user.user_id, count_tasks=counted is None)
        return {"task_count": counted if counted is not None else facts.task_count,
                "nav_is_assessor": facts.is_assessor,
                "nav_notifications": facts.unread, "nav_admin_url": _admin_url(),
                "nav_models_url": _models_url(), "nav_audit_url": _audit_url(),
                "nav_organisation_url": _organisation_url(), "nav_reports_url": _reports_url(facts.sees_reports),
                "nav_periods_url": _periods_url()}
