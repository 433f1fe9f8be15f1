"""Health endpoint for load balancers and the set-up script."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from webapp.extensions import get_engine

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """Report whether the database answers."""
    try:
        with get_engine().session_factory() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure is "unhealthy", with its kind for the operator
        return jsonify(status="error", database=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
