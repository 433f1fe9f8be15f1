"""Pages and reports evaluate the rule functions with the decision tables deployed now.

An instance evaluates the tables pinned when it started (engine/runtime/decisions.py); a page that shows a rule's
outcome outside any instance (the distribution curve of *Tim saya*, the curve report) uses the tables a new
instance would pin now — the latest deployed versions, so what a process owner deployed is what the page shows.
Before any version of the decision was deployed (a database without the rules bundle), the shipped file applies.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import Engine
from engine.db.deploy import DecisionVersion


def tables_in_force(engine: Engine, session: Session, decision_id: str) -> AbstractContextManager[Any]:
    """The context in which ``decision_id`` (and every other rule table) reads the latest deployed version."""
    deployed = session.scalar(select(DecisionVersion.id).where(DecisionVersion.decision_id == decision_id).limit(1))
    return engine.runtime.rules_in_force(session) if deployed is not None else nullcontext()
