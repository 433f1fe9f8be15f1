"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

from flask import current_app
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from engine.core import Engine

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Silakan masuk terlebih dahulu / Please log in first"
login_manager.login_message_category = "warning"


def get_engine() -> Engine:
    """Return the Engine of the current app."""
    return current_app.extensions["smk_engine"]
