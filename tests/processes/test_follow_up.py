"""Follow-up recommendations from the predikat history (DOMAIN.md section 6)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from processes.rules.errors import RuleInputError
from processes.rules.follow_up import rekomendasi_tindak_lanjut


def kode(riwayat: list[str], jabatan: str) -> list[str]:
    return [r.kode for r in rekomendasi_tindak_lanjut(riwayat, jabatan)]


def test_sangat_baik_two_years_gives_talent_pool_priority() -> None:
    assert kode(["Sangat Baik", "Sangat Baik"], "JA") == ["talent_pool", "syarat_kenaikan_pangkat"]


def test_baik_two_years_gives_competency_development_priority() -> None:
    assert kode(["Baik", "Baik"], "JF") == ["pengembangan_kompetensi", "syarat_kenaikan_pangkat"]


def test_promotion_needs_at_least_baik_in_both_years() -> None:
    assert "syarat_kenaikan_pangkat" in kode(["Baik", "Sangat Baik"], "JA")
    assert "syarat_kenaikan_pangkat" not in kode(["Butuh Perbaikan", "Sangat Baik"], "JA")
    assert "syarat_kenaikan_pangkat" not in kode(["Sangat Baik"], "JA")  # one year is not two


def test_only_the_last_two_years_count() -> None:
    tiga_tahun = kode(["Sangat Kurang", "Sangat Baik", "Sangat Baik"], "JPT")
    assert tiga_tahun == kode(["Sangat Baik", "Sangat Baik"], "JPT")


def test_tukin_cut_amounts_come_from_the_table() -> None:
    [sk] = [r for r in rekomendasi_tindak_lanjut(["Sangat Kurang"], "PPPK") if r.kode == "penyesuaian_tukin"]
    [k] = [r for r in rekomendasi_tindak_lanjut(["Kurang/Misconduct"], "JA") if r.kode == "penyesuaian_tukin"]
    assert (sk.persen_tukin, k.persen_tukin) == (D(-2), D(-1))


def test_jpt_below_target_gets_an_improvement_period_then_a_competency_test() -> None:
    assert kode(["Baik", "Butuh Perbaikan"], "JPT") == ["masa_perbaikan_jpt"]
    assert kode(["Butuh Perbaikan", "Butuh Perbaikan"], "JPT") == [
        "masa_perbaikan_jpt", "uji_kompetensi_ulang_jpt",
    ]


def test_ja_jf_below_target_are_recommended_a_transfer_with_its_legal_basis() -> None:
    [r] = rekomendasi_tindak_lanjut(["Baik", "Butuh Perbaikan"], "JF")
    assert r.kode == "pemindahan_jabatan"
    assert r.dasar_hukum == "PP 30/2019 Pasal 56-58"
    assert "pemberhentian dengan hormat" in r.rekomendasi


def test_pppk_has_no_talent_pool_or_promotion_rows() -> None:
    assert kode(["Sangat Baik", "Sangat Baik"], "PPPK") == []


def test_invalid_history_is_rejected() -> None:
    with pytest.raises(RuleInputError, match="riwayat_predikat: must be a non-empty list"):
        rekomendasi_tindak_lanjut([], "JA")
    with pytest.raises(RuleInputError, match=r"riwayat_predikat\[1\]: unknown value 'Istimewa'"):
        rekomendasi_tindak_lanjut(["Baik", "Istimewa"], "JA")
    with pytest.raises(RuleInputError, match="jenis_jabatan: unknown value 'Honorer'"):
        rekomendasi_tindak_lanjut(["Baik"], "Honorer")


def test_a_recommendation_cannot_be_changed_afterwards() -> None:
    import dataclasses

    [first, *_] = rekomendasi_tindak_lanjut(["Sangat Kurang"], "JA")
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.kode = "lain"  # type: ignore[misc]
