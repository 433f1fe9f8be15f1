"""Tim saya reads what it shows in a number of statements that does not grow with the team's finished cases: the
results come out of the stored states in one query (a JSON path per field), and the units walked up for each
member's curve unit are read once per request. At 10,000 employees a Kepala Subbagian of 52 waited 0.86 s for 653
statements, one whole stored state per finished case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine as SAEngine

from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import Instance
from processes.queries import RESULT_KEYS, _result, _results, my_team
from tests.simulated_year import BACKENDS, simulated_year_engine


@pytest.fixture(scope="module", params=BACKENDS)
def sim(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with simulated_year_engine(request.param, tmp_path_factory, "team") as engine:
        yield engine


def _counted(engine: Engine, call: object) -> tuple[object, int]:
    count = [0]

    def seen(*_: object) -> None:
        count[0] += 1

    event.listen(SAEngine, "before_cursor_execute", seen)
    try:
        result = call()  # type: ignore[operator]
    finally:
        event.remove(SAEngine, "before_cursor_execute", seen)
    return result, count[0]


def test_tim_saya_does_not_read_a_state_per_finished_case(sim: Engine) -> None:
    """The assessor with the most finished cases in their team (28 in the demo year): the page reads them in a fixed
    number of statements (35 today; 74 when each finished case loaded its whole state and each member's units were
    read again)."""
    with sim.session_factory() as s:
        subjects = {u.id: u for u in s.scalars(select(User))}
        counts: dict[int, int] = {}
        for subject in s.scalars(select(Instance.subject_id).where(Instance.status == "completed")):
            if subject in subjects and subjects[subject].position and subjects[subject].position.parent_id:
                counts[subject] = counts.get(subject, 0) + 1
        by_head: dict[int, int] = {}
        for user in subjects.values():
            if user.position is None:
                continue
            for sub, n in counts.items():
                if subjects[sub].position.parent_id == user.position_id:
                    by_head[user.id] = by_head.get(user.id, 0) + n
    head, finished = max(by_head.items(), key=lambda item: item[1])
    assert finished >= 20
    team, statements = _counted(sim, lambda: my_team(sim, head, "2023"))
    shown = sum(1 for m in team.members for i in m.instances if i.status == "completed")  # type: ignore[attr-defined]
    assert shown >= 20 and statements <= 36, (shown, statements)
    assert any(i.result.get("predikat") for m in team.members for i in m.instances)  # type: ignore[attr-defined]


def test_the_results_read_by_path_are_those_of_the_whole_state(sim: Engine) -> None:
    """``_results`` gives, for every finished case, what ``_result`` reads from its whole stored state."""
    with sim.session_factory() as s:
        finished = list(s.scalars(select(Instance).where(Instance.status == "completed")))
        expected = {i.id: _result(i) for i in finished}
        found = _results(s, [i.id for i in finished])
    assert sum(1 for value in expected.values() if value) >= 20
    assert {k: v for k, v in found.items() if v} == {k: v for k, v in expected.items() if v}
    assert set(RESULT_KEYS) >= {key for value in found.values() for key in value}
