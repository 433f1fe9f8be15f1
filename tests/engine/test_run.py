"""The demo process end to end through the services; every call reloads the stored state."""

from __future__ import annotations

from sqlalchemy import select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance, TaskIndex
from engine.services import inbox, instances

CAPAIAN = {"ringkasan": "Laporan Januari", "tanggal": "2024-01-31", "hasil_kerja": "Di Atas Ekspektasi",
           "inovasi": True, "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4},
                                         {"nama": "Laporan", "target": 10, "realisasi": 8}]}


def stored(eng: Engine, instance_id: int) -> Instance:
    with eng.session_factory() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        return inst


def only_task(eng: Engine, user_id: int) -> str:
    page = inbox.inbox(eng, user_id)
    assert page.total == 1, [i.title for i in page.items]
    return page.items[0].id


def test_demo_process_runs_end_to_end_with_return_loop(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    assert started.status == "running"
    state = stored(eng, started.id).state
    assert "spec" not in state and "subprocess_specs" not in state  # stored without the spec

    # Pegawai fills in; the script computes the average; the assessor (dewi) gets the review.
    task = only_task(eng, org["budi"])
    instances.complete_task(eng, org["budi"], task, CAPAIAN)
    review = instances.get_task(eng, org["dewi"], only_task(eng, org["dewi"]))
    assert review.data["rata_rata"] == 90.0  # (100 + 80) / 2

    # Returned: the employee gets the first task again, with what they entered.
    instances.complete_task(eng, org["dewi"], review.id, {"keputusan": "kembalikan", "perilaku": "Sesuai Ekspektasi",
                                                          "catatan": "Lengkapi bukti"})
    again = instances.get_task(eng, org["budi"], only_task(eng, org["budi"]))
    assert again.task_name == "isi_capaian" and again.data["catatan"] == "Lengkapi bukti"
    instances.complete_task(eng, org["budi"], again.id, dict(CAPAIAN, kegiatan=[{"nama": "Rapat", "target": 4,
                                                                                "realisasi": 5}]))
    review = instances.get_task(eng, org["dewi"], only_task(eng, org["dewi"]))
    assert review.data["rata_rata"] == 125.0

    # Approved: DMN gives the predikat, the call activity numbers the archive, HR confirms.
    after = instances.complete_task(eng, org["dewi"], review.id, {"keputusan": "setuju",
                                                                  "perilaku": "Di Atas Ekspektasi"})
    hr_task = instances.get_task(eng, org["indah"], after.ready_task_ids[0])
    assert hr_task.data["predikat"] == "Sangat Baik"
    assert hr_task.data["nomor_arsip"] == "ARS-1-SANGAT-BAIK"
    instances.claim_task(eng, org["indah"], hr_task.id)
    done = instances.complete_task(eng, org["indah"], hr_task.id, {"dikonfirmasi": True, "catatan_sdm": "OK"})
    assert done.status == "completed" and done.ready_task_ids == []

    inst = stored(eng, started.id)
    assert inst.status == "completed" and inst.completed_at is not None
    with eng.session_factory() as s:
        kinds = [e.kind for e in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == started.id)
                                           .order_by(AuditEvent.id))]
        rows = s.scalars(select(TaskIndex).where(TaskIndex.instance_id == started.id)
                         .order_by(TaskIndex.ready_at, TaskIndex.closed_at)).all()
        assert [(r.task_name, r.outcome) for r in rows if r.closed_at is None] == []
        assert sorted((r.task_name, r.completed_by_id) for r in rows) == sorted([
            ("isi_capaian", org["budi"]), ("isi_capaian", org["budi"]), ("tinjau", org["dewi"]),
            ("tinjau", org["dewi"]), ("konfirmasi_sdm", org["indah"])])
    assert kinds[0] == "instance.started" and kinds[-1] == "instance.completed"
    assert kinds.count("task.completed") == 5 and kinds.count("task.ready") == 5
    assert "task.claimed" in kinds


def test_completion_records_submitted_data_in_audit(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN)
    with eng.session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task.completed")).one()
    assert event.actor == "budi" and event.task_name == "isi_capaian"
    assert event.data["submitted"]["ringkasan"] == "Laporan Januari"


def test_read_only_fields_cannot_be_overwritten(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    after = instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN)
    instances.complete_task(eng, org["dewi"], after.ready_task_ids[0],
                            {"keputusan": "setuju", "perilaku": "Sesuai Ekspektasi", "rata_rata": 999})
    with eng.session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task.completed")
                          .order_by(AuditEvent.id.desc())).first()
    assert "rata_rata" not in event.data["submitted"]
