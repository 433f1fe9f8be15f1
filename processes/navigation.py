"""What the navigation bar shows about the logged-in user on every page, read in one transaction.

The badge of tasks they may act on, whether anyone has them as Pejabat Penilai ("Tim saya"), their unread
notifications and whether they see the reports (an auditor or a unit head). Each was its own read transaction, four
per page besides the page's own; now one, with the user's relations resolved once.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.access import LANES, in_role, subordinates_of
from engine.core import Engine
from engine.db.org import User
from engine.services.inbox import count_in
from engine.services.notifications import unread_in
from processes.reports import headed_unit


@dataclass(frozen=True)
class NavigationFacts:
    task_count: int | None  # None when the caller already counted them (the inbox page)
    is_assessor: bool
    unread: int
    sees_reports: bool


def navigation_facts(engine: Engine, user_id: int, count_tasks: bool = True) -> NavigationFacts:
    """Return what the navigation shows the user, from one read transaction."""
    with engine.session_factory() as session:
        user = session.get(User, user_id)  # held: the session's identity map keeps only what someone references
        if user is None:
            return NavigationFacts(0 if count_tasks else None, False, 0, False)
        tasks = count_in(session, user_id) if count_tasks else None
        return NavigationFacts(
            tasks, bool(subordinates_of(session, user_id)), unread_in(session, user_id),
            in_role(session, user_id, LANES.roles.auditors) or headed_unit(session, user_id) is not None)
