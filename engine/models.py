"""SQLAlchemy models: organisation, deployments, instances, the task index and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, JsonDoc, str40, str120, str255

# --- organisation -------------------------------------------------------------------------------


class Unit(Base):
    """An organisational unit (deputy, bureau, division, sub-division)."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str40] = mapped_column(unique=True)
    name: Mapped[str255]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))


class Position(Base):
    """A position (jabatan) in a unit; ``parent_id`` is the superior position that assesses it."""

    __tablename__ = "position"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str40] = mapped_column(unique=True)
    title: Mapped[str255]
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    # JPT / JA (administrator, pengawas, pelaksana) / JF / PPPK
    jenis: Mapped[str40] = mapped_column(default="JA")
    # e.g. "JPT Pratama", "Administrator", "Pengawas", "Pelaksana", "Ahli Muda"
    jenjang: Mapped[str120] = mapped_column(default="")
    unit: Mapped[Unit] = relationship()


class User(Base):
    """A person who can log in; employees hold a position, staff accounts may not."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str120] = mapped_column(unique=True)
    password_hash: Mapped[str255] = mapped_column(default="")
    full_name: Mapped[str255]
    nip: Mapped[str | None] = mapped_column(String(40), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    # An explicit assessor (acting officials, Plt/Plh) wins over the position tree.
    penilai_override_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="id")
    position: Mapped[Position | None] = relationship(foreign_keys=[position_id])


class Group(Base):
    """A named group of users; lanes other than the built-in roles name a group (e.g. ``Biro SDM``)."""

    __tablename__ = "user_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str120] = mapped_column(unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class GroupMember(Base):
    __tablename__ = "group_member"
    group_id: Mapped[int] = mapped_column(ForeignKey("user_group.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


# --- deployments --------------------------------------------------------------------------------


class Deployment(Base):
    """An immutable, content-hashed bundle of BPMN, DMN and form files."""

    __tablename__ = "deployment"
    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str255]
    deployed_by: Mapped[str120]
    deployed_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list[DeploymentFile]] = relationship(order_by="DeploymentFile.filename",
                                                        cascade="all, delete-orphan")


class DeploymentFile(Base):
    __tablename__ = "deployment_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str255]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # True when the file was not uploaded but copied in from an earlier deployment to resolve a reference.
    included: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (UniqueConstraint("deployment_id", "filename"),)


class ProcessVersion(Base):
    """A version of one executable process id, pinned to the deployment that defines it."""

    __tablename__ = "process_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str120] = mapped_column(index=True)
    version: Mapped[int]
    name: Mapped[str255]
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    filename: Mapped[str255]
    startable: Mapped[bool] = mapped_column(Boolean, default=True)
    deployment: Mapped[Deployment] = relationship()
    __table_args__ = (UniqueConstraint("process_id", "version"),)


class DecisionVersion(Base):
    """A version of one DMN decision id, so later bundles can call decisions deployed earlier."""

    __tablename__ = "decision_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[str120] = mapped_column(index=True)
    version: Mapped[int]
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    filename: Mapped[str255]
    __table_args__ = (UniqueConstraint("decision_id", "version"),)


# --- instances ----------------------------------------------------------------------------------

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

    # Not a column (hence __allow_unmapped__): the open user-task ids as of the last save in this
    # transaction, so a service can answer without querying the task index again.
    __allow_unmapped__ = True
    ready_task_ids: list[str] | None = None


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

    __table_args__ = (Index("ix_task_index_lane_subject", "lane", "subject_id"),)


class AuditEvent(Base):
    """An append-only record of one state change, written in the transaction that made the change."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str120] = mapped_column(default="system")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"), index=True)
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[Any] = mapped_column(JsonDoc, default=dict)
