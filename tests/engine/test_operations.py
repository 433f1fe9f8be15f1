"""Service-task operations: starting instances per employee in the same transaction, reading across."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.core import Engine
from engine.db.runtime import Instance
from engine.services import inbox, instances
from engine.services.deployments import deploy
from tools.bpmn_builder import Process, document


def models() -> dict[str, bytes]:
    period = Process("p_periode", "Periode", lanes=["Biro SDM"])
    period.start("s", lane="Biro SDM", col=0)
    period.service("pegawai", "Daftar pegawai", "list_employees", params={"unit_code": "'BSD'"},
                   result="daftar", lane="Biro SDM", col=1)
    period.service("mulai", "Mulai perencanaan", "start_process",
                   params={"process_id": "'p_skp'", "subject_ids": "[p['id'] for p in daftar]",
                           "period": "periode", "data": "{'regime': 'C'}"},
                   result="jumlah_dimulai", lane="Biro SDM", col=2)
    period.user("tutup", "Tutup periode", lane="Biro SDM", col=3)
    period.end("e", lane="Biro SDM", col=4)
    period.chain("s", "pegawai", "mulai", "tutup", "e")
    skp = Process("p_skp", "SKP", lanes=["Pegawai"])
    skp.start("s", lane="Pegawai", col=0)
    skp.service("siapa", "Data pegawai", "org_lookup", result="pegawai", lane="Pegawai", col=1)
    skp.user("susun", "Susun SKP", lane="Pegawai", col=2)
    skp.end("e", lane="Pegawai", col=3)
    skp.chain("s", "siapa", "susun", "e")
    return {"periode.bpmn": document(period).encode(), "skp.bpmn": document(skp).encode()}


def test_period_starts_one_planning_instance_per_employee_in_scope(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, models(), None)
    started = instances.start_instance(eng, "p_periode", org["indah"], None, "2024")
    with eng.session_factory() as s:
        skps = s.scalars(select(Instance).where(Instance.process_id == "p_skp")).all()
        count = s.scalar(select(func.count(Instance.id)))
    # Biro SDM: bambang, hendra, indah, joko, kartini, lukman, maya, nur, oki, putri, citra
    assert len(skps) == 11 and count == 12
    assert {s.period for s in skps} == {"2024"}
    hr_task = instances.get_task(eng, org["indah"], started.ready_task_ids[0])
    assert hr_task.data["jumlah_dimulai"] == 11
    joko_task = inbox.inbox(eng, org["joko"]).items[0]
    data = instances.get_task(eng, org["joko"], joko_task.id).data
    assert data["regime"] == "C" and data["pegawai"]["nama"] == "Joko Widodo Saputra"
    assert data["pegawai"]["pejabat_penilai"] == "Indah Permatasari, S.Psi."
    assert inbox.inbox(eng, org["budi"]).total == 0  # not in the Biro SDM unit


def test_a_service_answering_a_plain_string_keeps_it_a_string(eng: Engine, org: dict[str, int]) -> None:
    p = Process("p_str", "String result", lanes=["Biro SDM"])
    p.start("s", lane="Biro SDM", col=0)
    p.service("atur", "Atur periode", "set_period", params={"period": "'2021-II'"}, result="hasil",
              lane="Biro SDM", col=1)
    p.user("lanjut", "Lanjut", lane="Biro SDM", col=2)
    p.end("e", lane="Biro SDM", col=3)
    p.chain("s", "atur", "lanjut", "e")
    deploy(eng, {"str.bpmn": document(p).encode()}, None)
    started = instances.start_instance(eng, "p_str", org["indah"], None)
    assert instances.get_task(eng, org["indah"], started.ready_task_ids[0]).data["hasil"] == "2021-II"


def test_list_employees_gives_only_ids_when_asked(eng: Engine, org: dict[str, int]) -> None:
    """A process that needs only who is in scope asks for ids (the SMK period does: 10,000 employees as dicts would
    pass the task data limit); the same employees, in the same order, as the dicts' ids."""
    p = Process("p_ids", "Ids", lanes=["Biro SDM"])
    p.start("s", lane="Biro SDM", col=0)
    p.service("semua", "Daftar", "list_employees", params={"unit_code": "'BSD'"}, result="daftar",
              lane="Biro SDM", col=1)
    p.service("ids", "Id saja", "list_employees", params={"unit_code": "'BSD'", "hanya_id": "True"},
              result="ids", lane="Biro SDM", col=2)
    p.user("lihat", "Lihat", lane="Biro SDM", col=3)
    p.end("e", lane="Biro SDM", col=4)
    p.chain("s", "semua", "ids", "lihat", "e")
    deploy(eng, {"ids.bpmn": document(p).encode()}, None)
    started = instances.start_instance(eng, "p_ids", org["indah"], None, "2024")
    data = instances.get_task(eng, org["indah"], started.ready_task_ids[0]).data
    assert data["ids"] == [e["id"] for e in data["daftar"]] and len(data["ids"]) == 11
    assert all(type(i) is int for i in data["ids"]) and org["joko"] in data["ids"]
