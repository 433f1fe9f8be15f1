"""Drafts, uploads and the instance page are bounded (issue 16): a draft's size, upload quotas per instance and
per user, orphan uploads cleaned by the worker, and huge data values shortened on the instance page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.documents import Document
from engine.errors import FormInvalid
from engine.queries.instance import instance_detail
from engine.runtime.clock import FixedClock
from engine.services import documents, instances
from engine.services.deployments import deploy
from engine.services.worker import default_jobs

from .helpers import one_script_process
from .test_limits import form_bundle

# --- drafts, uploads, orphans ----------------------------------------------------------------------------


@pytest.fixture
def form_task(eng: Engine, org: dict[str, int]) -> tuple[str, int]:
    schema = {"type": "object", "properties": {"uraian": {"type": "string"}, "bukti": {"type": "string"},
                                               "lain": {"type": "string"}}}
    deploy(eng, form_bundle(schema), None)
    started = instances.start_instance(eng, "p_form", org["admin"], org["budi"], "2024")
    return started.ready_task_ids[0], started.id


def test_a_draft_larger_than_the_limit_is_refused(eng: Engine, org: dict[str, int], form_task: tuple[str, int]) -> None:
    task_id, _ = form_task
    with pytest.raises(FormInvalid) as info:
        documents.save_draft(eng, org["budi"], task_id, {"uraian": "x" * (2**20 + 1)})
    assert "The draft is too large to save (at most 1 MB)" in str(info.value)
    assert documents.get_draft(eng, org["budi"], task_id) is None
    documents.save_draft(eng, org["budi"], task_id, {"uraian": "x" * 1000})
    assert documents.get_draft(eng, org["budi"], task_id) is not None


def test_uploads_are_bounded_per_instance_and_per_user(eng: Engine, org: dict[str, int],
                                                       form_task: tuple[str, int],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    task_id, _ = form_task
    monkeypatch.setenv("SMK_UPLOAD_QUOTA_INSTANCE_MB", "1")
    half = b"%PDF" + b"x" * (2**19 - 4)
    documents.store_upload(eng, org["budi"], task_id, "bukti", "a.pdf", half)
    documents.store_upload(eng, org["budi"], task_id, "bukti", "b.pdf", half)
    with pytest.raises(FormInvalid) as info:
        documents.store_upload(eng, org["budi"], task_id, "bukti", "c.pdf", b"%PDF more")
    assert info.value.errors[0].path == "bukti"
    assert "This process already holds 1 MB of files; at most 1 MB are allowed" in str(info.value)
    monkeypatch.setenv("SMK_UPLOAD_QUOTA_INSTANCE_MB", "50")
    monkeypatch.setenv("SMK_UPLOAD_QUOTA_USER_MB", "1")
    with pytest.raises(FormInvalid) as info:
        documents.store_upload(eng, org["budi"], task_id, "bukti", "c.pdf", b"%PDF more")
    assert "You have already uploaded 1 MB of files" in str(info.value)


def test_orphan_uploads_are_cleaned_by_the_worker_after_a_day(eng: Engine, org: dict[str, int], clock: FixedClock,
                                                              form_task: tuple[str, int]) -> None:
    task_id, instance_id = form_task
    kept = documents.store_upload(eng, org["budi"], task_id, "bukti", "kept.pdf", b"%PDF kept")
    drafted = documents.store_upload(eng, org["budi"], task_id, "lain", "draft.pdf", b"%PDF draft")
    orphan = documents.store_upload(eng, org["budi"], task_id, "bukti", "orphan.pdf", b"%PDF orphan")
    assert "orphan uploads" in dict(default_jobs())
    clock.advance(hours=23)
    assert documents.clean_orphan_uploads(eng) == 0  # not a day old yet
    documents.save_draft(eng, org["budi"], task_id, {"lain": drafted.as_value()})
    instances.complete_task(eng, org["budi"], task_id, {"uraian": "ok", "bukti": kept.as_value()})
    # The task is done; a later task of the same instance could still hold the draft's file in its own draft.
    clock.advance(hours=2)
    assert documents.clean_orphan_uploads(eng) == 2  # the draft went with the task; the orphan with nobody
    with eng.session_factory() as s:
        left = set(s.scalars(select(Document.id).where(Document.instance_id == instance_id)))
        removed = s.scalars(select(AuditEvent).where(AuditEvent.kind == "document.removed")).all()
    assert left == {kept.id}
    assert {e.data["document_id"] for e in removed} == {drafted.id, orphan.id}
    assert documents.clean_orphan_uploads(eng) == 0


def test_an_orphan_held_by_a_saved_draft_is_kept(eng: Engine, org: dict[str, int], clock: FixedClock,
                                                 form_task: tuple[str, int]) -> None:
    task_id, _ = form_task
    drafted = documents.store_upload(eng, org["budi"], task_id, "bukti", "draft.pdf", b"%PDF draft")
    documents.save_draft(eng, org["budi"], task_id, {"bukti": drafted.as_value()})
    clock.advance(days=3)
    assert documents.clean_orphan_uploads(eng) == 0
    with eng.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1


# --- the instance page's data view -----------------------------------------------------------------------


def test_a_huge_data_value_is_shown_shortened(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"p.bpmn": one_script_process("besar = 'x' * 300000\nbaris = [{'t': 'y' * 1000}] * 100\n"
                                              "kecil = 'z'")}, None)
    started = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    detail = instance_detail(eng, org["admin"], started.id)
    assert detail.clipped["besar"] == "x" * 2000
    assert detail.clipped["baris"].startswith('[{"t": "yyy') and len(detail.clipped["baris"]) == 2000
    assert "kecil" not in detail.clipped and detail.data["kecil"] == "z"
    assert len(detail.data["besar"]) == 300_000  # the data itself is whole (printed documents use it)
