"""Deployments: content-hashed bundles and the process and decision versions they hold."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.db.base import Base, str120, str255


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


def latest_process_names(session: Session) -> list[tuple[str, str]]:
    """(process id, name of its latest version) of every deployed process, by name: the choice of a process in a
    filter. No permission check: the callers check their own (administrators, auditors)."""
    latest = select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v")) \
        .group_by(ProcessVersion.process_id).subquery()
    rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.name).join(
        latest, (latest.c.process_id == ProcessVersion.process_id) & (latest.c.v == ProcessVersion.version)))
    return sorted(((pid, name or pid) for pid, name in rows), key=lambda r: (r[1].lower(), r[0]))
