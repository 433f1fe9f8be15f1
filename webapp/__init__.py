"""The SMK Workflow web application."""

from __future__ import annotations

from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import IntegerConverter

from engine.core import Engine, sandbox_limits_from_env
from processes.extension import extensions as smk_extensions
from webapp.config import load_config


class _ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept for the apps of one process. Jinja compiles each template once per environment, and
    every app has its own: a process that builds several apps (the tests build one per test) compiles each template
    once. Jinja checks each entry against the template source's checksum, so a changed template is compiled
    again."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _ProcessBytecodeCache()


def create_app(config: dict[str, Any] | None = None, engine: Engine | None = None) -> Flask:
    """Build the Flask app; tests pass config overrides and may hand in a ready Engine."""
    settings = load_config(config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"])
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _COMPILED_TEMPLATES}  # before jinja_env exists
    app.config.update(settings)
    app.extensions["smk_engine"] = engine or Engine(app.config["DATABASE_URL"], extensions=smk_extensions(),
                                                       limits=sandbox_limits_from_env())
    app.url_map.converters["int"] = DatabaseInt  # before any route is added

    from webapp import account, auth, errors, filters, health, i18n, instances, nav, skp, tasks, team
    from webapp.admin import bp as admin_bp
    from webapp.audit import bp as audit_bp
    from webapp.deployments import bp as deployments_bp
    from webapp.extensions import csrf, login_manager
    from webapp.migration_pages import bp as migration_bp
    from webapp.notifications import bp as notifications_bp
    from webapp.organisation import bp as organisation_bp
    from webapp.periods import bp as periods_bp
    from webapp.reports import bp as reports_bp
    from webapp.workspace import bp as workspace_bp

    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    nav.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(skp.bp)
    app.register_blueprint(team.bp)
    app.register_blueprint(instances.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(deployments_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(migration_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(organisation_bp)
    app.register_blueprint(periods_bp)
    app.register_blueprint(account.bp)
    return app


MAX_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL; SQLite's limit is larger


class DatabaseInt(IntegerConverter):
    """``<int:…>`` that only matches ids a database column can hold: a larger one is "not found", not a 500."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
