"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from engine.core import Engine
from webapp.i18n import N_

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("Please log in first")
login_manager.localize_callback = gettext  # translated when flashed, in the visitor's language
login_manager.login_message_category = "warning"


def get_engine() -> Engine:
    """Return the Engine of the current app."""
    return current_app.extensions["smk_engine"]
