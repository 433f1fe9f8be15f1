"""Small builders shared by engine tests."""

from __future__ import annotations

from pathlib import Path

from engine.services.deployments import read_folder
from tools.bpmn_builder import Process, document

ROOT = Path(__file__).resolve().parents[2]


def demo_files() -> dict[str, bytes]:
    return read_folder(ROOT / "bpmn" / "demo")


def one_script_process(script: str, process_id: str = "p_script", with_user_task: bool = True) -> bytes:
    """A process: start -> user task (Pegawai) -> script -> user task -> end."""
    p = Process(process_id, "Script test", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    if with_user_task:
        p.user("first", "First", lane="Pegawai", col=1)
    p.script("run_script", "Run script", script, lane="Pegawai", col=2)
    p.user("second", "Second", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", *(["first"] if with_user_task else []), "run_script", "second", "e")
    return document(p).encode()
