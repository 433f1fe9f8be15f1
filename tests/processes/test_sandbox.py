"""The tables and script functions also work inside the engine's RestrictedPython sandbox.

Skipped when the engine package is not importable: the rules do not depend on it.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from processes.rules.distribution import batasan_kurva
from processes.rules.follow_up import rekomendasi_tindak_lanjut
from processes.rules.predikat import JENIS_JABATAN, PREDIKAT_SEMUA, PREDIKAT_UNIT, RATING_6_2022
from processes.rules.regime_a import predikat_regime_a
from processes.rules.regime_b import nilai_capaian_iki, predikat_regime_b
from processes.rules.regime_c import hasil_kerja_pimpinan, predikat_6_2022
from processes.rules.rounding import round2
from processes.rules.script_api import SCRIPT_FUNCTIONS

sandbox = pytest.importorskip("engine.sandbox")


@pytest.fixture(scope="module")
def sandboxed() -> Any:
    return sandbox.make_script_engine(SCRIPT_FUNCTIONS)


@pytest.fixture
def decide_in_sandbox(spiff_parser: SpiffBpmnParser, sandboxed: Any) -> Any:
    workflow = SimpleNamespace(script_engine=sandboxed)

    def decide(decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
        task = SimpleNamespace(data=dict(data), workflow=workflow)
        return dict(spiff_parser.get_engine(decision_id, None).result(task))

    return decide


def test_categorical_tables_agree_in_the_sandbox(decide_in_sandbox: Any) -> None:
    for hasil, perilaku in itertools.product(RATING_6_2022, repeat=2):
        result = decide_in_sandbox("predikat_matrix_6_2022", {"hasil_kerja": hasil, "perilaku": perilaku})
        assert result == {"predikat": predikat_6_2022(hasil, perilaku)}
    for unit in PREDIKAT_UNIT:
        result = decide_in_sandbox("hasil_kerja_pimpinan", {"predikat_unit": unit})
        assert result == {"hasil_kerja": hasil_kerja_pimpinan(unit)}
        result = decide_in_sandbox("kurva_distribusi", {"predikat_unit": unit})
        assert result["batasan"] == [c.batasan for c in batasan_kurva(unit)]
    for jabatan, (sebelumnya, terakhir) in itertools.product(JENIS_JABATAN,
                                                              itertools.product(PREDIKAT_SEMUA, repeat=2)):
        data = {"predikat_terakhir": terakhir, "predikat_sebelumnya": sebelumnya, "jenis_jabatan": jabatan}
        result = decide_in_sandbox("tindak_lanjut", data)
        expected = rekomendasi_tindak_lanjut([sebelumnya, terakhir], jabatan)
        assert result.get("kode", []) == [r.kode for r in expected]


@pytest.mark.parametrize("nilai", [0, 49.99, 50, 69.99, 70, 89.99, 90, 109.99, 110, 120])
def test_numeric_tables_agree_in_the_sandbox(decide_in_sandbox: Any, nilai: float) -> None:
    from decimal import Decimal as D

    value = D(str(nilai))
    for inovasi in (True, False):
        result = decide_in_sandbox("predikat_band_regime_b", {"nilai": nilai, "inovasi": inovasi})
        assert result == {"predikat": predikat_regime_b(value, inovasi)}
    result = decide_in_sandbox("predikat_band_regime_a", {"nilai": nilai})
    assert result == {"predikat": predikat_regime_a(value)}
    result = decide_in_sandbox("nilai_capaian_iki", {"capaian": nilai})
    assert (round2(D(str(result["nilai"]))), result["kategori"]) == nilai_capaian_iki(value)


def test_script_tasks_can_call_the_rule_functions_by_name(sandboxed: Any) -> None:
    kegiatan = {"target_kuantitas": 5, "realisasi_kuantitas": 5, "realisasi_kualitas": 100,
                "target_waktu": 5, "realisasi_waktu": 4}
    data: dict[str, Any] = {"kegiatan": [kegiatan],
                            "perilaku": {a: 90 for a in ("orientasi_pelayanan", "integritas", "komitmen",
                                                         "disiplin", "kerja_sama")}}
    task = SimpleNamespace(data=data, workflow=None)
    sandboxed.execute(task, "hasil = nilai_regime_a(kegiatan, perilaku, False)\n"
                            "predikat = predikat_6_2022('Sesuai Ekspektasi', 'Di Atas Ekspektasi')\n"
                            "kurva = cek_kurva_distribusi('Baik', ['Baik', 'Baik', 'Baik'])\n"
                            "hasil_kerja = hasil_kerja_pimpinan('Istimewa')\n"
                            "saran = rekomendasi_tindak_lanjut(['Baik', 'Baik'], 'JF')")
    assert task.data["hasil"]["kegiatan"][0]["waktu"] == 96.0
    assert task.data["predikat"] == "Baik"
    assert task.data["kurva"]["ok"] is False
    assert task.data["hasil_kerja"] == "Di Atas Ekspektasi"
    assert [r["kode"] for r in task.data["saran"]] == ["pengembangan_kompetensi", "syarat_kenaikan_pangkat"]
