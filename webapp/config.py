"""Configuration: safe defaults for the embedded mode, environment overrides, test overrides last."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance: Path) -> str:
    """Use SECRET_KEY from the environment, else a random key generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the app configuration: defaults, then environment, then ``overrides``."""
    overrides = dict(overrides or {})
    instance = Path(overrides.get("INSTANCE_PATH") or os.environ.get("SMK_INSTANCE_PATH") or ROOT / "instance")
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'smk.sqlite'}",
        "BPMN_DIR": os.environ.get("SMK_BPMN_DIR") or str(ROOT / "bpmn"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SMK_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 16 * 2**20,
        "PER_PAGE": 20,
    }
    if "SECRET_KEY" not in overrides:
        config["SECRET_KEY"] = _secret_key(instance)
    config.update(overrides)
    return config
