"""The SMK profile knows a PPPK by the employment status from the personnel file, not by the position's kind:
an imported PPPK holds a Pelaksana or Fungsional position, and the follow-up rules differ for PPPK (a contract
evaluation instead of a transfer, no promotion in rank)."""

from __future__ import annotations

from types import SimpleNamespace

from engine.core import Engine
from engine.db.org import Position, User
from processes.operations import SMK_OPERATIONS
from processes.rules.script_api import SCRIPT_FUNCTIONS


def _profile(eng: Engine, user_id: int) -> dict:
    with eng.session_factory() as s:
        ctx = SimpleNamespace(session=s, instance=SimpleNamespace(subject_id=user_id, id=None, period="2024"))
        return SMK_OPERATIONS["smk_profil_pegawai"](ctx, {}, {})


def _set(eng: Engine, user_id: int, status: str, jenis: str | None = None) -> None:
    with eng.session_factory.begin() as s:
        user = s.get(User, user_id)
        user.status = status
        if jenis is not None:
            position = s.get(Position, user.position_id)
            position.jenis, position.jenjang = jenis, "Pelaksana"


def test_an_imported_pppk_on_a_pelaksana_position_is_a_pppk(eng: Engine, org: dict[str, int]) -> None:
    # As the import stores the demo's Pengemudi: a Pelaksana position (JA), the person PPPK.
    _set(eng, org["wahyu"], "PPPK", "JA")
    profile = _profile(eng, org["wahyu"])
    assert (profile["jenis_jabatan"], profile["status_kepegawaian"], profile["jenjang"]) == ("PPPK", "PPPK", "Pelaksana")
    codes = [r["kode"] for r in SCRIPT_FUNCTIONS["rekomendasi_tindak_lanjut"](["Baik", "Kurang"], profile["jenis_jabatan"])]
    assert "evaluasi_perjanjian_kerja" in codes and "pemindahan_jabatan" not in codes
    codes = [r["kode"] for r in SCRIPT_FUNCTIONS["rekomendasi_tindak_lanjut"](["Baik", "Baik"], profile["jenis_jabatan"])]
    assert "syarat_kenaikan_pangkat" not in codes  # a PPPK has no promotion in rank


def test_a_pns_keeps_the_kind_of_the_position(eng: Engine, org: dict[str, int]) -> None:
    assert _profile(eng, org["budi"])["jenis_jabatan"] == "JA"
    assert _profile(eng, org["ratna"])["jenis_jabatan"] == "JPT"
    _set(eng, org["budi"], "PNS", "JA")
    profile = _profile(eng, org["budi"])
    assert (profile["jenis_jabatan"], profile["status_kepegawaian"]) == ("JA", "PNS")
    codes = [r["kode"] for r in SCRIPT_FUNCTIONS["rekomendasi_tindak_lanjut"](["Baik", "Kurang"], profile["jenis_jabatan"])]
    assert "pemindahan_jabatan" in codes and "evaluasi_perjanjian_kerja" not in codes


def test_a_pns_on_a_position_once_marked_pppk_is_ja_and_an_unknown_status_keeps_the_position(
        eng: Engine, org: dict[str, int]) -> None:
    # The demo marked two positions "PPPK"; a PNS moved onto one of them is not a PPPK.
    _set(eng, org["zainal"], "PNS")
    assert _profile(eng, org["zainal"])["jenis_jabatan"] == "JA"
    _set(eng, org["zainal"], "")  # an account from before the status was recorded: the position decides
    assert _profile(eng, org["zainal"])["jenis_jabatan"] == "PPPK"
    _set(eng, org["zainal"], "PPPK")
    assert _profile(eng, org["zainal"])["jenis_jabatan"] == "PPPK"
