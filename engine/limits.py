"""Limits that keep one model or one request from taking the service down, read from the environment.

Every value has a default that fits the embedded mode; an operator overrides it with the environment variable
named beside it (see docs/engine.md, "Limits"). The environment is read on every call, so a test or an
operator's change applies without rebuilding anything; reading a few variables costs microseconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """The bounds the engine and the web app enforce (see docs/engine.md, "Limits")."""

    # Deploy and run time: timer durations, dates and cycle intervals may reach this far ahead.
    timer_horizon_years: int = 10
    # Engine steps (script tasks, gateways, events…) one advance may run before the instance fails.
    max_steps_per_advance: int = 10_000
    # Fields (and files) one form POST may carry.
    max_form_fields: int = 2_000
    # Rows of an array field when its schema sets no maxItems.
    max_rows: int = 500
    # Characters of a string field when its schema sets no maxLength.
    max_field_chars: int = 20_000
    # Serialized size of a saved draft.
    max_draft_bytes: int = 1 * MiB
    # Uploaded files, in total, per instance and per user.
    upload_quota_instance_bytes: int = 50 * MiB
    upload_quota_user_bytes: int = 200 * MiB
    # Uploads that no submitted task references are deleted by the worker after this many hours.
    orphan_upload_hours: int = 24
    # Notifications older than this many days are deleted by the worker, except those of a task still open.
    notification_days: int = 180
    # The instance page shows at most this many characters of one data value.
    max_shown_chars: int = 2_000


# Environment variable -> (field, factor applied to the number given).
ENVIRONMENT: dict[str, tuple[str, int]] = {
    "SMK_TIMER_HORIZON_YEARS": ("timer_horizon_years", 1),
    "SMK_MAX_STEPS_PER_ADVANCE": ("max_steps_per_advance", 1),
    "SMK_MAX_FORM_FIELDS": ("max_form_fields", 1),
    "SMK_MAX_ROWS": ("max_rows", 1),
    "SMK_MAX_FIELD_CHARS": ("max_field_chars", 1),
    "SMK_MAX_DRAFT_KB": ("max_draft_bytes", 1024),
    "SMK_UPLOAD_QUOTA_INSTANCE_MB": ("upload_quota_instance_bytes", MiB),
    "SMK_UPLOAD_QUOTA_USER_MB": ("upload_quota_user_bytes", MiB),
    "SMK_ORPHAN_UPLOAD_HOURS": ("orphan_upload_hours", 1),
    "SMK_NOTIFICATION_DAYS": ("notification_days", 1),
    "SMK_MAX_SHOWN_CHARS": ("max_shown_chars", 1),
}


def current(environ: Mapping[str, str] | None = None) -> Limits:
    """Return the limits in force: the defaults, overridden by the environment; a value that is not a positive
    whole number raises ValueError naming the variable."""
    env = os.environ if environ is None else environ
    values: dict[str, int] = {}
    for name, (attr, factor) in ENVIRONMENT.items():
        raw = env.get(name, "").strip()
        if not raw:
            continue
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number <= 0:
            raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
        values[attr] = number * factor
    return Limits(**values)


__all__ = ["ENVIRONMENT", "Limits", "current"]
