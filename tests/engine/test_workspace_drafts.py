"""Workspace drafts under real concurrency: two process owners saving the same file at the same moment, both from
the revision they loaded, never both succeed (one is told of the other's save), whether or not the bundle's
revision counter existed before; saves of different files both succeed. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.workspace import WorkspaceBundle, WorkspaceDraftFile
from engine.services import workspace


def _race(eng: Engine, saves: list[tuple[int, str, bytes]], loaded: int) -> list[Any]:
    """Run the saves at the same moment (one thread each); return each one's result or the error it raised."""
    barrier = threading.Barrier(len(saves))
    results: list[Any] = [None] * len(saves)

    def run(i: int, owner: int, filename: str, content: bytes) -> None:
        barrier.wait()
        try:
            results[i] = workspace.save_file(eng, owner, "demo", filename, content, loaded)
        except Exception as exc:  # the test looks at what was raised
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, *save)) for i, save in enumerate(saves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("counter_exists", [False, True])
def test_two_owners_saving_the_same_file_at_once_never_both_win(counter_exists: bool, demo_deployed: Engine,
                                                                org: dict[str, int]) -> None:
    loaded = 0
    if counter_exists:  # the bundle's counter row is there already (someone saved another file before)
        loaded = workspace.save_file(demo_deployed, org["admin"], "demo", "demo_arsip.bpmn", b"<x/>", 0)
    results = _race(demo_deployed, [(org["pemilik"], "demo_predikat.dmn", b"<pemilik/>"),
                                    (org["admin"], "demo_predikat.dmn", b"<admin/>")], loaded)
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, workspace.DraftConflict)]
    assert len(won) == 1 and len(lost) == 1, results
    with demo_deployed.session_factory() as s:
        stored = s.scalars(select(WorkspaceDraftFile).where(WorkspaceDraftFile.filename == "demo_predikat.dmn")).all()
        counter = s.scalar(select(WorkspaceBundle).where(WorkspaceBundle.name == "demo"))
    assert len(stored) == 1 and stored[0].revision == won[0]
    assert counter is not None and counter.revision == won[0]
    winner = "pemilik" if stored[0].content == b"<pemilik/>" else "admin"
    assert lost[0].by == winner


def test_saves_of_different_files_at_once_both_succeed(demo_deployed: Engine, org: dict[str, int]) -> None:
    results = _race(demo_deployed, [(org["pemilik"], "demo_predikat.dmn", b"<p/>"),
                                    (org["admin"], "demo_arsip.bpmn", b"<a/>")], 0)
    assert sorted(results) == [1, 2], results
