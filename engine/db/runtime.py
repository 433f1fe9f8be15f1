"""Running work: instances, kept messages and the task index."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    event,
    false,
    insert,
    inspect,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, Session, make_transient_to_detached, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history, set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Update

from engine.db.base import Base, JsonDoc, JsonText, str40, str120, str255
from engine.db.deploy import ProcessVersion

RUNNING, WAITING, COMPLETED, ERROR, SUSPENDED, TERMINATED = (
    "running", "waiting", "completed", "error", "suspended", "terminated")
INSTANCE_STATUSES = (RUNNING, WAITING, COMPLETED, ERROR, SUSPENDED, TERMINATED)


class Instance(Base):
    """One running process; the workflow state is stored without its spec, pinned to a process version."""

    __tablename__ = "instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str120] = mapped_column(index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    period: Mapped[str40] = mapped_column(default="")
    business_key: Mapped[str120] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[Any] = mapped_column(JsonText)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # Earliest due timer, so the worker finds due instances with an index scan.
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_task: Mapped[str | None] = mapped_column(String(255))
    error_line: Mapped[int | None] = mapped_column(Integer)
    # Message names the instance waits for, as ",name,name," (found through business_key first).
    waiting_messages: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    process_version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": version}
    # The admin list's order (most recently changed first) read from an index, not a sort of every instance.
    __table_args__ = (Index("ix_instance_updated_at_id", "updated_at", "id"),)

    # Not a column (hence __allow_unmapped__): the open user-task ids as of the last save in this
    # transaction, so a service can answer without querying the task index again.
    __allow_unmapped__ = True
    ready_task_ids: list[str] | None = None
    # Also not columns, and also for this transaction only: the open task index rows by task id, when the
    # service that loaded the instance read them with it (Runtime.save then does not query them again), and
    # the subject's unit as (unit id,) once an audit event has looked it up (engine.services.audit.record).
    open_rows: dict[str, TaskIndex] | None = None
    subject_unit: tuple[int | None] | None = None


class PendingMessage(Base):
    """A message thrown when no instance of its business key waited for it; delivered when one does."""

    __tablename__ = "pending_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str120]
    business_key: Mapped[str120] = mapped_column(index=True)
    payload: Mapped[Any] = mapped_column(JsonDoc)
    sender_instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    delivered_to_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"))

    # The worker's delivery job (engine.services.messages) reads the undelivered messages only, oldest first: a
    # partial index (PostgreSQL and SQLite) holds just those, however many were delivered over the years.
    __table_args__ = (
        Index("ix_pending_message_undelivered", "id",
              postgresql_where=text("delivered_at IS NULL"), sqlite_where=text("delivered_at IS NULL")),
    )


class TaskIndex(Base):
    """A user task of an instance, so inboxes and reports never deserialize a workflow.

    Open tasks have ``closed_at`` NULL. Closed rows stay as the record of who did what (and so that a
    late second submission is told "already completed" rather than "not found").
    """

    __tablename__ = "task_index"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the Spiff task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[str120]
    task_name: Mapped[str120]  # BPMN element id
    title: Mapped[str255]
    lane: Mapped[str | None] = mapped_column(String(120), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Explicit candidates named by the model (comma-separated usernames / group names), beyond the lane.
    candidate_users: Mapped[str] = mapped_column(Text, default="")
    candidate_groups: Mapped[str] = mapped_column(Text, default="")
    period: Mapped[str40] = mapped_column(default="")
    form: Mapped[str | None] = mapped_column(String(255))
    ready_at: Mapped[datetime]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))  # completed | cancelled
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # A waiting step (the model's ``waitingStep`` property, copied from the task's spec when it becomes ready): the
    # person can only look at what the process waits for, so the inbox shows it apart and never counts it as work.
    waiting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Not a column: the groups the model names for when the lane has nobody (``fallbackCandidateGroups``), known
    # while the step that made the task ready is saved (``engine.services.notifications.notify_new_tasks``).
    fallback_groups = ""

    # Inboxes read open tasks only: partial indexes (PostgreSQL and SQLite) hold just those rows, so their
    # size follows the open work, not the years of closed tasks kept beside them.
    # The reports read one period's rows of a few steps: by name and period, not a scan of every period kept (the
    # name leads: see migration 0014).
    __table_args__ = (
        Index("ix_task_index_lane_subject", "lane", "subject_id"),
        Index("ix_task_index_name_period", "task_name", "period"),
        Index("ix_task_index_open_assignee", "assignee_id",
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
        Index("ix_task_index_open_subject", "subject_id", "lane",
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
        Index("ix_task_index_open_lane", "lane", "due_at",
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
    )


USER, GROUP = "user", "group"


class TaskCandidate(Base):
    """One person (by username) or group (by name) that an open task's model names as a candidate.

    The inbox finds a user's candidate tasks through this table's index instead of a substring search on
    ``TaskIndex.candidate_users``/``candidate_groups`` (which stay as the record of what the model said).
    Names, not ids: like lanes, they are resolved against the organisation when the inbox is read. Rows exist
    while the task is open; they are written and removed with the task's index row (the mapper events below),
    so every writer of ``TaskIndex`` keeps them right.
    """

    __tablename__ = "task_candidate"
    task_id: Mapped[str] = mapped_column(String(36), ForeignKey("task_index.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # USER | GROUP
    name: Mapped[str120] = mapped_column(primary_key=True)

    __table_args__ = (Index("ix_task_candidate_kind_name", "kind", "name", "task_id"),)


def candidate_rows(task_id: str, users: str, groups: str) -> list[dict[str, str]]:
    """Return the task_candidate rows of a task's ",a,b," candidate lists (duplicates once)."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for kind, names in ((USER, users), (GROUP, groups)):
        for name in (names or "").split(","):
            if name.strip():
                rows[(kind, name.strip())] = {"task_id": task_id, "kind": kind, "name": name.strip()}
    return list(rows.values())


@event.listens_for(TaskIndex, "after_insert")
def _candidates_inserted(_mapper: Mapper[Any], connection: Connection, row: TaskIndex) -> None:
    # Only tasks whose model names candidates cost a statement; a task born closed has none to find.
    values = candidate_rows(row.id, row.candidate_users, row.candidate_groups) if row.closed_at is None else []
    if values:
        connection.execute(insert(TaskCandidate), values)


@event.listens_for(TaskIndex, "after_update")
def _candidates_updated(_mapper: Mapper[Any], connection: Connection, row: TaskIndex) -> None:
    changed = any(get_history(row, name).has_changes()
                  for name in ("closed_at", "candidate_users", "candidate_groups"))
    if not changed:
        return
    had = any(old for name in ("candidate_users", "candidate_groups") for old in get_history(row, name).deleted)
    if row.candidate_users or row.candidate_groups or had:
        connection.execute(delete(TaskCandidate).where(TaskCandidate.task_id == row.id))
        values = candidate_rows(row.id, row.candidate_users, row.candidate_groups) if row.closed_at is None else []
        if values:
            connection.execute(insert(TaskCandidate), values)


# --- the engine's writes of a step, as Core statements ------------------------------------------------------------
# A completion writes one instance row and a few task rows. The ORM's unit of work costs more than the statements
# themselves (the histories of every attribute, the dependency sort, the version check, a fixed cost per flush), so
# Runtime.save writes them with these and leaves the objects as if they had been loaded with the new values:
# later reads in the transaction find them in the identity map, and a later ORM change of them (an admin action
# after the save) flushes against the new version. What the ORM's events do for TaskIndex (the candidates) is done
# here too.

_INSTANCES = cast(Table, Instance.__table__)
_TASKS = cast(Table, TaskIndex.__table__)
_CANDIDATES = cast(Table, TaskCandidate.__table__)
_TASK_COLUMNS = tuple(c.key for c in _TASKS.columns)
_INSTANCE_UPDATES: dict[tuple[str, ...], Update] = {}
_CLOSE_TASKS = update(_TASKS).where(_TASKS.c.id == bindparam("b_id")).values(
    closed_at=bindparam("b_closed_at"), outcome=bindparam("b_outcome"), completed_by_id=bindparam("b_by"))
_INSERT_TASKS = insert(_TASKS)
_INSERT_CANDIDATES = insert(_CANDIDATES)


def _instance_update(keys: tuple[str, ...]) -> Update:
    found = _INSTANCE_UPDATES.get(keys)
    if found is None:
        found = _INSTANCE_UPDATES[keys] = update(_INSTANCES).where(
            _INSTANCES.c.id == bindparam("b_id"), _INSTANCES.c.version == bindparam("b_version")).values(
            {key: bindparam(key) for key in keys})
    return found


def write_instance(session: Session, instance: Instance, values: dict[str, Any]) -> None:
    """Set ``values`` on a loaded instance and write them, with any other change pending on it, in one UPDATE that
    moves its version on; raise StaleDataError (as the ORM's version check does) when another transaction changed
    the row since it was read. An instance not yet in the database takes the values for the ORM to insert."""
    state = inspect(instance)
    if not state.persistent:
        for key, value in values.items():
            setattr(instance, key, value)
        return
    values = dict(values)
    if state.modified:  # changed before the save (an admin's retry clears the error): written here, once
        for attr in state.mapper.column_attrs:
            if attr.key not in values and state.attrs[attr.key].history.has_changes():
                values[attr.key] = getattr(instance, attr.key)
    version = instance.version
    values["version"] = version + 1
    keys = tuple(sorted(values))
    result = session.connection().execute(_instance_update(keys), {**values, "b_id": instance.id,
                                                                    "b_version": version})
    if cast(Any, result).rowcount != 1:
        raise StaleDataError(f"instance {instance.id} was changed by another transaction since version {version}")
    for key, value in values.items():
        set_committed_value(instance, key, value)


def close_tasks(session: Session, closing: list[tuple[TaskIndex, str, int | None]], now: datetime) -> None:
    """Close open task rows: (row, outcome, completed by) each; their candidates go."""
    written = [(row, outcome, by) for row, outcome, by in closing if inspect(row).persistent]
    for row, outcome, by in closing:
        if not inspect(row).persistent:  # added in this transaction and not written yet: the ORM writes it so
            row.closed_at, row.outcome, row.completed_by_id = now, outcome, by
    if not written:
        return
    connection = session.connection()
    connection.execute(_CLOSE_TASKS, [{"b_id": row.id, "b_closed_at": now, "b_outcome": outcome, "b_by": by}
                                      for row, outcome, by in written])
    named = [row.id for row, *_ in written if row.candidate_users or row.candidate_groups]
    if named:
        connection.execute(delete(_CANDIDATES).where(_CANDIDATES.c.task_id.in_(named)))
    for row, outcome, by in written:
        set_committed_value(row, "closed_at", now)
        set_committed_value(row, "outcome", outcome)
        set_committed_value(row, "completed_by_id", by)


def insert_tasks(session: Session, rows: list[TaskIndex]) -> None:
    """Insert new task rows (every column set) with their candidates; the rows join the session as loaded."""
    if not rows:
        return
    connection = session.connection()
    connection.execute(_INSERT_TASKS, [{key: getattr(row, key) for key in _TASK_COLUMNS} for row in rows])
    named = [c for row in rows if row.closed_at is None
             for c in candidate_rows(row.id, row.candidate_users, row.candidate_groups)]
    if named:
        connection.execute(_INSERT_CANDIDATES, named)
    for row in rows:
        make_transient_to_detached(row)
        session.add(row)
