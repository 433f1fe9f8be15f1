"""Running work: instances, kept messages and the task index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, delete, event, insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from engine.db.base import Base, JsonDoc, str40, str120, str255
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
    state: Mapped[Any] = mapped_column(JsonDoc)
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
