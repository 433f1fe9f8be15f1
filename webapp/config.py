"""Configuration: safe defaults for the embedded mode, environment overrides, test overrides last."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from engine.limits import current as current_limits
from processes.operations import calibration_table

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


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


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
        # A request body of at most SMK_MAX_REQUEST_MB (uploads included); one multipart text field of at most
        # 512 KiB; at most SMK_MAX_FORM_FIELDS fields plus room for files and hidden fields. Past any of them the
        # request is refused with the 413 page before the view runs (see docs/engine.md, "Limits").
        "MAX_CONTENT_LENGTH": _positive_int("SMK_MAX_REQUEST_MB", 16) * 2**20,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "MAX_FORM_PARTS": current_limits().max_form_fields + 100,
        "PER_PAGE": 20,
    }
    calibration_table()  # a wrong SMK_CALIBRATION_* setting stops the start, not a unit's calibration step later
    if "SECRET_KEY" not in overrides:
        config["SECRET_KEY"] = _secret_key(instance)
    config.update(overrides)
    return config
