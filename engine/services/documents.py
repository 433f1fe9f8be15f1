"""Uploaded documents (bukti dukung) and saved form drafts: stored in the database, checked on every read.

A task's data never holds the file itself, only a reference (id, filename, size, sha256, content type). A file
is stored before the form is submitted, so a form that fails validation keeps its upload; downloads check that
the user may see the instance the document belongs to.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from engine.access import may_act, may_view_instance
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.documents import Document, TaskDraft
from engine.db.org import User
from engine.db.runtime import TaskIndex
from engine.errors import N_, FieldError, FormInvalid, Message, NotFound
from engine.limits import current as current_limits
from engine.services import audit

DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_ACCEPT = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods", ".txt", ".csv")
# Types a browser may show inline without risk; everything else is sent as an attachment.
_INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


@dataclass
class DocumentRef:
    """The reference a task's data keeps instead of the file."""

    id: int
    filename: str
    size: int
    sha256: str
    content_type: str

    def as_value(self) -> str:
        """Return the reference as the JSON text a string form field holds."""
        return json.dumps({"id": self.id, "filename": self.filename, "size": self.size, "sha256": self.sha256,
                           "content_type": self.content_type}, separators=(",", ":"))


@dataclass
class StoredFile:
    ref: DocumentRef
    content: bytes
    instance_id: int
    inline: bool


def parse_ref(value: Any) -> DocumentRef | None:
    """Read a document reference from a form value (a JSON text or an object); None when it is not one."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    # A reference has all of these; other dicts in task data (an employee profile, a score) merely have an id.
    if not isinstance(value, dict) or not isinstance(value.get("id"), int) or \
            not isinstance(value.get("sha256"), str) or not isinstance(value.get("filename"), str):
        return None
    return DocumentRef(value["id"], str(value.get("filename", "")), int(value.get("size") or 0),
                       str(value.get("sha256", "")), str(value.get("content_type", "")))


def verified_ref(engine: Engine, instance_id: int, value: Any) -> DocumentRef | None:
    """Return the stored reference a posted file value names, when it is a document of this instance; else None.

    A form posts back the reference of a file uploaded earlier (a failed submit, a draft). The value comes from
    the browser, so it is checked: the document must exist, belong to this instance and have the same content
    hash. The stored name, size and type replace whatever was posted.
    """
    ref = parse_ref(value)
    if ref is None or not 0 < ref.id < 2**31:
        return None
    with engine.session_factory() as session:
        row = session.execute(select(Document.id, Document.instance_id, Document.filename, Document.size,
                                     Document.sha256, Document.content_type).where(Document.id == ref.id)).first()
    if row is None or row.instance_id != instance_id or row.sha256 != ref.sha256:
        return None
    return DocumentRef(row.id, row.filename, row.size, row.sha256, row.content_type)


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    return (name or "berkas")[:200]


def _accepted(filename: str, content_type: str, accept: list[str]) -> bool:
    lower = filename.lower()
    for rule in accept:
        rule = rule.strip().lower()
        if not rule:
            continue
        if rule.startswith(".") and lower.endswith(rule):
            return True
        if rule.endswith("/*") and content_type.startswith(rule[:-1]):
            return True
        if rule == content_type:
            return True
    return False


def store_upload(engine: Engine, user_id: int, task_id: str, field_path: str, filename: str, content: bytes,
                 accept: list[str] | None = None, max_bytes: int | None = None) -> DocumentRef:
    """Store a file uploaded into a task's form; raise FormInvalid (on the field) when it is too big or of a wrong type."""
    name = _safe_name(filename)
    accept = accept or list(DEFAULT_ACCEPT)
    limit = max_bytes or DEFAULT_MAX_BYTES
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if len(content) == 0:
        raise FormInvalid([FieldError(field_path, Message("upload.empty", N_("The file is empty")))])
    if len(content) > limit:
        raise FormInvalid([FieldError(field_path, Message(
            "upload.too_large", N_("The file is too large (at most %(limit)s)"), {"limit": _human(limit)}))])
    if not _accepted(name, content_type, accept):
        kinds = ", ".join(accept)
        raise FormInvalid([FieldError(field_path, Message(
            "upload.type", N_("This kind of file is not allowed (allowed: %(kinds)s)"), {"kinds": kinds}))])
    with engine.session_factory.begin() as session:
        row = session.get(TaskIndex, task_id)
        if row is None or row.closed_at is not None or not may_act(session, user_id, task_id):
            raise NotFound("task.not_found", N_("Task not found"))
        _check_quota(session, row.instance_id, user_id, len(content), field_path)
        now = engine.now()
        doc = Document(instance_id=row.instance_id, task_id=task_id, filename=name, content_type=content_type,
                       size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
                       uploaded_by_id=user_id, uploaded_at=now)
        session.add(doc)
        session.flush()
        audit.record(session, "document.uploaded", now, session.get(User, user_id), instance_id=row.instance_id,
                     task_id=task_id, document_id=doc.id, filename=name, size=doc.size, sha256=doc.sha256)
        return DocumentRef(doc.id, name, doc.size, doc.sha256, content_type)


def _check_quota(session: Any, instance_id: int, user_id: int, size: int, field_path: str) -> None:
    """Refuse an upload that would take the instance's or the user's files past their quota
    (SMK_UPLOAD_QUOTA_INSTANCE_MB, SMK_UPLOAD_QUOTA_USER_MB); uploads not yet cleaned up count too."""
    limits = current_limits()
    for column, owner, quota, code, text in (
            (Document.instance_id, instance_id, limits.upload_quota_instance_bytes, "upload.quota_instance",
             N_("This process already holds %(used)s of files; at most %(quota)s are allowed")),
            (Document.uploaded_by_id, user_id, limits.upload_quota_user_bytes, "upload.quota_user",
             N_("You have already uploaded %(used)s of files; at most %(quota)s are allowed"))):
        used = session.scalar(select(func.coalesce(func.sum(Document.size), 0)).where(column == owner)) or 0
        if used + size > quota:
            raise FormInvalid([FieldError(field_path, Message(code, text, {"used": _human(used),
                                                                           "quota": _human(quota)}))])


def get_document(engine: Engine, user_id: int, document_id: int) -> StoredFile:
    """Return a document when the user may see its instance; NotFound otherwise (never tell which)."""
    with engine.session_factory() as session:
        doc = session.get(Document, document_id)
        if doc is None or not may_view_instance(session, user_id, doc.instance_id):
            raise NotFound("document.not_found", N_("Document not found"))
        ref = DocumentRef(doc.id, doc.filename, doc.size, doc.sha256, doc.content_type)
        return StoredFile(ref, doc.content, doc.instance_id, doc.content_type in _INLINE_TYPES)


def documents_of(engine: Engine, instance_id: int) -> list[DocumentRef]:
    """List an instance's documents (the caller has checked that the user may see the instance)."""
    with engine.session_factory() as session:
        rows = session.execute(select(Document.id, Document.filename, Document.size, Document.sha256,
                                      Document.content_type).where(Document.instance_id == instance_id)
                               .order_by(Document.id))
        return [DocumentRef(*r) for r in rows]


def save_draft(engine: Engine, user_id: int, task_id: str, data: dict[str, Any]) -> datetime:
    """Keep what the user typed into an open task's form, without validating or submitting it."""
    with engine.session_factory.begin() as session:
        row = session.get(TaskIndex, task_id)
        if row is None or row.closed_at is not None or not may_act(session, user_id, task_id):
            raise NotFound("task.not_found", N_("Task not found"))
        most = current_limits().max_draft_bytes
        if len(json.dumps(data, default=str)) > most:
            raise FormInvalid([FieldError("", Message("draft.too_large", N_(
                "The draft is too large to save (at most %(most)s); shorten the longest texts or remove rows"),
                {"most": _human(most)}))])
        now = engine.now()
        draft = session.get(TaskDraft, (task_id, user_id))
        if draft is None:
            session.add(TaskDraft(task_id=task_id, user_id=user_id, data=data, saved_at=now))
        else:
            draft.data, draft.saved_at = data, now
        return now


def get_draft(engine: Engine, user_id: int, task_id: str) -> tuple[dict[str, Any], datetime] | None:
    """Return the user's saved draft of a task and when it was saved, if any."""
    with engine.session_factory() as session:
        draft = session.get(TaskDraft, (task_id, user_id))
        return (dict(draft.data or {}), draft.saved_at) if draft else None


def discard_draft(engine: Engine, user_id: int, task_id: str) -> None:
    with engine.session_factory.begin() as session:
        draft = session.get(TaskDraft, (task_id, user_id))
        if draft is not None:
            session.delete(draft)


def _human(size: int) -> str:
    return f"{size / 2**20:.0f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"


# The worker runs the clean-up at most once per this many seconds (per database and process): each pass reads
# the submitted data of the instances that have old uploads.
ORPHAN_PASS_SECONDS = 3600
_last_orphan_pass: dict[str, float] = {}


def orphan_upload_job(engine: Engine) -> int:
    """The worker's job: :func:`clean_orphan_uploads`, at most once an hour."""
    last = _last_orphan_pass.get(engine.database_url)
    if last is not None and time.monotonic() - last < ORPHAN_PASS_SECONDS:
        return 0
    _last_orphan_pass[engine.database_url] = time.monotonic()
    return clean_orphan_uploads(engine)


def clean_orphan_uploads(engine: Engine) -> int:
    """Delete uploads older than SMK_ORPHAN_UPLOAD_HOURS that no submitted task data and no saved draft of an
    open task refers to (files stored for a form that was then abandoned); return how many. Each is audited."""
    now = engine.now()
    cutoff = now - timedelta(hours=current_limits().orphan_upload_hours)
    with engine.session_factory.begin() as session:
        old = session.execute(select(Document.id, Document.instance_id, Document.task_id, Document.filename,
                                     Document.size).where(Document.uploaded_at < cutoff)).all()
        if not old:
            return 0
        kept: set[int] = set()
        instance_ids = sorted({r.instance_id for r in old})
        for start in range(0, len(instance_ids), 500):
            for data in session.scalars(select(AuditEvent.data).where(
                    AuditEvent.kind == "task.completed", AuditEvent.instance_id.in_(instance_ids[start:start + 500]))):
                kept.update(_referenced_ids((data or {}).get("submitted")))
        task_ids = sorted({r.task_id for r in old if r.task_id})
        for start in range(0, len(task_ids), 500):
            # Only drafts of tasks still open: a draft left behind by a completed task keeps nothing alive.
            for data in session.scalars(select(TaskDraft.data).join(TaskIndex, TaskIndex.id == TaskDraft.task_id).where(
                    TaskDraft.task_id.in_(task_ids[start:start + 500]), TaskIndex.closed_at.is_(None))):
                kept.update(_referenced_ids(data))
        orphans = [r for r in old if r.id not in kept]
        for start in range(0, len(orphans), 500):
            session.execute(delete(Document).where(Document.id.in_([r.id for r in orphans[start:start + 500]])))
        for r in orphans:
            audit.record(session, "document.removed", now, None, instance_id=r.instance_id, task_id=r.task_id,
                         document_id=r.id, filename=r.filename, size=r.size, reason="orphan upload")
        return len(orphans)


def _referenced_ids(value: Any) -> set[int]:
    """Return the ids of every document reference inside submitted data (any depth)."""
    found: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        ref = parse_ref(item) if isinstance(item, (str, dict)) else None
        if ref is not None:
            found.add(ref.id)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
