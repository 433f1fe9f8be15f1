"""Moving running instances to a new version of their process (engine/services/migration.py): a compatible
change moves every instance and they finish on the new version; an incompatible one is refused per instance
with the reason; every move is audited with the versions before and after."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance
from engine.errors import NotFound, PermissionDenied
from engine.runtime.clock import FixedClock
from engine.services import instances, migration
from engine.services.deployments import deploy
from engine.services.timers import fire_due_timers
from tools.bpmn_builder import Process, document


def model(reminder: str = '"P1D"', with_isi: bool = True, review_name: str = "Periksa") -> bytes:
    """start -> isi (with a non-interrupting reminder timer) -> hitung -> periksa -> end."""
    p = Process("p_mig", "Migration test", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    if with_isi:
        p.user("isi", "Isi", lane="Pegawai", col=1)
        p.boundary("ingat", "Pengingat", attached_to="isi", timer=("timeDuration", reminder), interrupting=False)
        p.script("catat_ingat", "Catat pengingat", "diingatkan = True", lane="Pegawai", col=2)
        p.end("ingat_end", lane="Pegawai", col=3)
        p.flow("ingat", "catat_ingat")
        p.flow("catat_ingat", "ingat_end")
    p.script("hitung", "Hitung", "nilai = 2", lane="Pegawai", col=4)
    p.user("periksa", review_name, lane="Pegawai", col=5)
    p.end("e", lane="Pegawai", col=6)
    if with_isi:
        p.chain("s", "isi", "hitung", "periksa", "e")
    else:
        p.chain("s", "hitung", "periksa", "e")
    return document(p).encode()


def start(eng: Engine, org: dict[str, int], period: str) -> int:
    return instances.start_instance(eng, "p_mig", org["admin"], org["budi"], period).id


def version_of(eng: Engine, instance_id: int) -> int:
    with eng.session_factory() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        return instance.process_version.version


def ready(eng: Engine, instance_id: int) -> list[str]:
    with eng.session_factory() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        return list(instance.ready_task_ids or []) or instances_ready(eng, instance_id)


def instances_ready(eng: Engine, instance_id: int) -> list[str]:
    from engine.db.runtime import TaskIndex

    with eng.session_factory() as s:
        return list(s.scalars(select(TaskIndex.id).where(TaskIndex.instance_id == instance_id,
                                                         TaskIndex.closed_at.is_(None))))


def test_a_changed_timer_moves_every_running_instance_and_they_finish(eng: Engine, org: dict[str, int],
                                                                       clock: FixedClock) -> None:
    deploy(eng, {"m.bpmn": model()}, None, name="mig")
    running = [start(eng, org, f"2024-{n}") for n in range(4)]
    # One instance is further along: isi done, periksa ready (its settled steps did not change either).
    instances.complete_task(eng, org["budi"], ready(eng, running[0])[0], {})
    deploy(eng, {"m.bpmn": model(reminder='"P5D"')}, None, name="mig")
    plan = migration.plan(eng, "p_mig", 2, org["pemilik"])
    assert (plan.to_version, sorted(plan.movable), plan.blocked) == (2, sorted(running), [])

    result = migration.migrate_all(eng, "p_mig", 2, org["pemilik"], batch_size=3)
    assert sorted(result.moved) == sorted(running) and not result.failed and not result.blocked
    assert {version_of(eng, i) for i in running} == {2}
    assert migration.plan(eng, "p_mig", 2).movable == []  # resumable: nothing left to move
    assert migration.plan(eng, "p_mig", 2).on_target == 4

    # The new reminder applies: not after one day, after five (counted from the move).
    clock.advance(days=2)
    fire_due_timers(eng)
    assert [reminded(eng, i) for i in running[1:]] == [False] * 3
    clock.advance(days=4)
    fire_due_timers(eng)
    assert [reminded(eng, i) for i in running[1:]] == [True] * 3
    for instance_id in running:  # and they finish on the new version
        for task_id in instances_ready(eng, instance_id):
            instances.complete_task(eng, org["budi"], task_id, {})
        for task_id in instances_ready(eng, instance_id):
            instances.complete_task(eng, org["budi"], task_id, {})
        with eng.session_factory() as s:
            assert s.get(Instance, instance_id).status == "completed"  # type: ignore[union-attr]

    with eng.session_factory() as s:
        moves = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "instance.migrated")))
    assert sorted(e.instance_id for e in moves) == sorted(running)
    assert {(e.data["from_version"], e.data["to_version"]) for e in moves} == {(1, 2)}
    assert {e.actor for e in moves} == {"pemilik"}


def reminded(eng: Engine, instance_id: int) -> bool:
    """Whether the reminder timer fired (its task is completed in the stored state)."""
    with eng.session_factory() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        states = [t["state"] for t in instance.state["tasks"].values() if t["task_spec"] == "catat_ingat"]
    return 64 in states  # TaskState.COMPLETED


def test_a_removed_ready_step_is_refused_with_the_reason(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"m.bpmn": model()}, None, name="mig")
    at_isi = start(eng, org, "2024-a")
    at_periksa = start(eng, org, "2024-b")
    instances.complete_task(eng, org["budi"], ready(eng, at_periksa)[0], {})
    deploy(eng, {"m.bpmn": model(with_isi=False)}, None, name="mig")
    plan = migration.plan(eng, "p_mig", None, org["admin"])
    assert plan.movable == []
    reasons = {b.instance_id: b.reasons for b in plan.blocked}
    assert {b.version for b in plan.blocked} == {1}
    assert any("'Isi' (isi) is ready and was removed" in str(r) for r in reasons[at_isi])
    # The one past isi has isi completed: removed too, so it cannot move either — the steps it took must exist.
    assert any("'Isi' (isi) is completed and was removed" in str(r) for r in reasons[at_periksa])

    result = migration.migrate_batch(eng, "p_mig", None, org["admin"])
    assert result.moved == [] and {b.instance_id for b in result.blocked} == {at_isi, at_periksa}
    assert version_of(eng, at_isi) == 1 and version_of(eng, at_periksa) == 1
    with eng.session_factory() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.kind == "instance.migrated")).first() is None


def test_a_renamed_ready_step_blocks_only_the_instances_standing_on_it(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"m.bpmn": model()}, None, name="mig")
    at_isi = start(eng, org, "2024-a")
    at_periksa = start(eng, org, "2024-b")
    instances.complete_task(eng, org["budi"], ready(eng, at_periksa)[0], {})
    deploy(eng, {"m.bpmn": model(review_name="Periksa ulang")}, None, name="mig")
    plan = migration.plan(eng, "p_mig")
    assert plan.movable == [at_isi]
    [blocked] = plan.blocked
    assert blocked.instance_id == at_periksa and "'Periksa' (periksa) is ready and was changed" in str(blocked.reasons[0])


def test_only_process_owners_and_administrators_migrate(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"m.bpmn": model()}, None, name="mig")
    with pytest.raises(PermissionDenied):
        migration.plan(eng, "p_mig", 1, org["budi"])
    with pytest.raises(PermissionDenied):
        migration.migrate_batch(eng, "p_mig", 1, org["budi"])
    with pytest.raises(NotFound):
        migration.plan(eng, "p_mig", 9, org["admin"])


def test_a_documentation_change_does_not_block_a_move(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"m.bpmn": model()}, None, name="mig")
    at_isi = start(eng, org, "2024-a")
    documented = model().replace(b'<bpmn:userTask id="isi" name="Isi">',
                                 b'<bpmn:userTask id="isi" name="Isi"><bpmn:documentation>Isi SKP. EN: fill in.'
                                 b'</bpmn:documentation>', 1)
    assert documented != model()
    deploy(eng, {"m.bpmn": documented}, None, name="mig")
    assert migration.plan(eng, "p_mig").movable == [at_isi]


def two_steps(lane: str = "Pegawai", title: str = "Isi", properties: dict[str, str] | None = None,
              script: str = "nilai = 2") -> bytes:
    """start -> isi (user, ``lane``, ``title``, ``properties``) -> hitung (script) -> periksa (user) -> end."""
    p = Process("p_mig2", "Migration test 2", lanes=sorted({lane, "Pegawai"}))
    p.start("s", lane="Pegawai", col=0)
    p.user("isi", title, lane=lane, col=1, properties=properties or {})
    p.script("hitung", "Hitung", script, lane="Pegawai", col=2)
    p.user("periksa", "Periksa", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "isi", "hitung", "periksa", "e")
    return document(p).encode()


def test_a_completed_steps_new_lane_name_or_properties_do_not_block_a_move(eng: Engine,
                                                                             org: dict[str, int]) -> None:
    # Who may act on a step, what it is called and its form matter while it waits for someone, not once it is
    # done: an instance past it moves, one standing on it does not (its open task would keep the old ones).
    deploy(eng, {"m2.bpmn": two_steps()}, None, name="mig2")
    at_isi = instances.start_instance(eng, "p_mig2", org["admin"], org["budi"], "2024-a").id
    past_isi = instances.start_instance(eng, "p_mig2", org["admin"], org["budi"], "2024-b").id
    instances.complete_task(eng, org["budi"], instances_ready(eng, past_isi)[0], {})
    deploy(eng, {"m2.bpmn": two_steps(lane="Pimpinan Unit Kerja", title="Isi capaian",
                                      properties={"waitingStep": "true", "fallbackCandidateGroups": "PPK"})},
           None, name="mig2")
    plan = migration.plan(eng, "p_mig2")
    assert plan.movable == [past_isi]
    [blocked] = plan.blocked
    assert blocked.instance_id == at_isi and "'Isi' (isi) is ready and was changed" in str(blocked.reasons[0])
    moved = migration.migrate_all(eng, "p_mig2")
    assert moved.moved == [past_isi] and version_of(eng, past_isi) == 2 and version_of(eng, at_isi) == 1
    instances.complete_task(eng, org["budi"], instances_ready(eng, past_isi)[0], {})  # it finishes on version 2
    with eng.session_factory() as s:
        assert s.get(Instance, past_isi).status == "completed"


def test_a_completed_steps_changed_script_still_blocks_a_move(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"m2.bpmn": two_steps()}, None, name="mig2")
    past = instances.start_instance(eng, "p_mig2", org["admin"], org["budi"], "2024-b").id
    instances.complete_task(eng, org["budi"], instances_ready(eng, past)[0], {})  # hitung ran: nilai = 2
    deploy(eng, {"m2.bpmn": two_steps(script="nilai = 3")}, None, name="mig2")
    plan = migration.plan(eng, "p_mig2")
    assert plan.movable == [] and [b.instance_id for b in plan.blocked] == [past]
    assert "(hitung) is completed and was changed" in str(plan.blocked[0].reasons[0])


def test_a_step_that_became_a_waiting_step_moves_and_is_listed_as_one(eng: Engine, org: dict[str, int]) -> None:
    # The new version declares the step the instance stands on a waiting step: the instance may move, and its open
    # task is a waiting step from then on (not counted as work, nobody called to it).
    from engine.db.runtime import TaskIndex
    from engine.services import inbox

    deploy(eng, {"m2.bpmn": two_steps()}, None, name="mig2")
    at_isi = instances.start_instance(eng, "p_mig2", org["admin"], org["budi"], "2024-a").id
    assert inbox.count(eng, org["budi"]) == 1
    deploy(eng, {"m2.bpmn": two_steps(properties={"waitingStep": "true"})}, None, name="mig2")
    assert migration.plan(eng, "p_mig2").movable == [at_isi]
    assert migration.migrate_all(eng, "p_mig2").moved == [at_isi] and version_of(eng, at_isi) == 2
    with eng.session_factory() as s:
        assert s.scalars(select(TaskIndex.waiting).where(TaskIndex.instance_id == at_isi,
                                                         TaskIndex.closed_at.is_(None))).all() == [True]
    assert inbox.count(eng, org["budi"]) == 0
    instances.complete_task(eng, org["budi"], instances_ready(eng, at_isi)[0], {})  # it still opens and moves on
    assert [t for t in instances_ready(eng, at_isi)]
