"""Results per subject and period (``engine.services.results``): one row per key, latest value wins, read with one
query per unit or subject set, every recording in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Unit
from engine.db.results import SubjectResult
from engine.services.results import RESULT_RECORDED, record_result, results

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def _unit(eng: Engine, code: str) -> int:
    with eng.session_factory() as s:
        unit_id = s.scalar(select(Unit.id).where(Unit.code == code))
        assert unit_id is not None
        return unit_id


def test_recording_again_replaces_the_value_and_logs_both(eng: Engine, org: dict[str, int]) -> None:
    brp = _unit(eng, "BRP")
    with eng.session_factory.begin() as s:
        record_result(s, "nilai", "2024", {"x": 1}, subject_id=org["budi"], unit_id=brp, now=T0)
    with eng.session_factory.begin() as s:
        again = record_result(s, "nilai", "2024", {"x": 2}, subject_id=org["budi"], unit_id=brp,
                              now=T0 + timedelta(hours=1))
    assert again.value == {"x": 2} and again.recorded_at == T0 + timedelta(hours=1)
    with eng.session_factory() as s:
        assert s.scalar(select(func.count(SubjectResult.id))) == 1
        found = results(s, "nilai", "2024", unit_ids=[brp])
        logged = [e.data for e in s.scalars(select(AuditEvent).where(AuditEvent.kind == RESULT_RECORDED)
                                            .order_by(AuditEvent.id))]
    assert [(r.subject_id, r.value) for r in found] == [(org["budi"], {"x": 2})]
    assert [(d["result"], d["period"], d["unit_id"], d["value"]) for d in logged] == [
        ("nilai", "2024", brp, {"x": 1}), ("nilai", "2024", brp, {"x": 2})]


def test_a_unit_result_without_a_subject_is_still_one_row(eng: Engine, org: dict[str, int]) -> None:
    bsd = _unit(eng, "BSD")
    for i, value in enumerate(("Baik", "Istimewa")):
        with eng.session_factory.begin() as s:
            record_result(s, "rating", "2024", value, unit_id=bsd, now=T0 + timedelta(minutes=i))
    with eng.session_factory() as s:
        assert [r.value for r in results(s, "rating", "2024", unit_ids=[bsd])] == ["Istimewa"]
        assert s.scalar(select(func.count(SubjectResult.id))) == 1


def test_results_filter_by_kind_period_unit_and_subject(eng: Engine, org: dict[str, int]) -> None:
    brp, bsd = _unit(eng, "BRP"), _unit(eng, "BSD")
    with eng.session_factory.begin() as s:
        record_result(s, "p", "2024", "a", subject_id=org["budi"], unit_id=brp, now=T0)
        record_result(s, "p", "2024", "b", subject_id=org["siti"], unit_id=brp, now=T0 + timedelta(seconds=1))
        record_result(s, "p", "2024", "c", subject_id=org["joko"], unit_id=bsd, now=T0)
        record_result(s, "p", "2023", "d", subject_id=org["budi"], unit_id=brp, now=T0)
        record_result(s, "q", "2024", "e", subject_id=org["budi"], unit_id=brp, now=T0)
    with eng.session_factory() as s:
        assert [r.value for r in results(s, "p", "2024", unit_ids=[brp])] == ["a", "b"]
        assert [r.value for r in results(s, "p", "2024", subject_ids=[org["joko"], org["budi"]])] == ["a", "c"]
        assert [r.value for r in results(s, "p", "2024", unit_ids=[brp], subject_ids=[org["siti"]])] == ["b"]
        assert {r.value for r in results(s, "p", "2024")} == {"a", "b", "c"}
        assert results(s, "p", "2024", unit_ids=[]) == []


def test_a_result_names_a_subject_or_a_unit(eng: Engine) -> None:
    with eng.session_factory() as s, pytest.raises(ValueError, match="subject, a unit or both"):
        record_result(s, "p", "2024", 1, now=T0)
