"""The Model proses workspace: process owners' server-side drafts of a bundle's files.

A *bundle* is the name its deployments share (``bpmn/rules``). Each process owner has at most one draft per
bundle: the files they changed or added, overlaid on the bundle's latest deployment. Every save, on any owner's
draft, takes the next number of the bundle's revision counter (``workspace_bundle``), so that a save can tell
whether someone saved the same file, or deployed the bundle, after the editor loaded it (a conflict, 409).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db.base import Base, str120, str255


class WorkspaceBundle(Base):
    """The revision counter of one bundle's workspace and its last deployment from the workspace."""

    __tablename__ = "workspace_bundle"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str255] = mapped_column(unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # The revision at which the workspace last deployed the bundle: an editor loaded before it is out of date.
    deployed_revision: Mapped[int] = mapped_column(Integer, default=0)
    deployed_by: Mapped[str | None] = mapped_column(String(120))
    deployed_at: Mapped[datetime | None]


class WorkspaceDraft(Base):
    """One process owner's unsaved-to-production work on one bundle (it survives logging out)."""

    __tablename__ = "workspace_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_name: Mapped[str255] = mapped_column(index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    owner_name: Mapped[str120]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    files: Mapped[list[WorkspaceDraftFile]] = relationship(order_by="WorkspaceDraftFile.filename",
                                                           cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("bundle_name", "owner_id"),)


class WorkspaceDraftFile(Base):
    """A file of a draft as its owner last saved it."""

    __tablename__ = "workspace_draft_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("workspace_draft.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str255]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    # The deployed file's SHA-256 when the owner began editing it (None: a file the bundle did not have). When the
    # bundle is deployed with another content of the file meanwhile, deploying this draft would undo that change.
    base_sha256: Mapped[str | None] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("draft_id", "filename"),)
