"""The large-unit calibration's type-ahead (``processes.operations.kalibrasi_staf``): a unit head finds the people
"Perubahan lain" accepts — the unit's curve staff with a proposal in the period — by name, NIP or user name, and
nobody else; and the calibration table's sizes are settings (``calibration_table``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import Instance
from processes.operations import CalibrationTable, calibration_table, kalibrasi_staf

from .test_kurva_results import BRP_STAFF, _hire, _open_period, _run

# Biro Umum (BUM), headed by yulia: wahyu's proposal is not in yet, so "Perubahan lain" would refuse him.
BUM_PROPOSED = {"rudi": "Sangat Baik", "sri": "Baik", "taufik": "Baik", "umi": "Baik", "yanti": "Baik"}


@pytest.fixture
def proposed(smk: Engine, org: dict[str, int]) -> dict[int, int]:
    """Every employee's planning in 2023; Biro Perencanaan and Biro Umum rated, their staff's proposals recorded
    (but wahyu's); 25 more staff under Biro Umum's Subbagian Perlengkapan with proposals. Return the planning
    instances by user id."""
    planning = _open_period(smk)
    planning |= _hire(smk, "BUM-1-1", "BUM-1-1-01", 25)
    for head in ("ratna", "yulia"):
        _run(smk, "smk_catat_predikat_unit", planning[org[head]], {"predikat_unit": "Baik"})
    with smk.session_factory() as s:
        hired = list(s.scalars(select(User.username).where(User.username.like("staf%"))))
    for who, predikat in {**BRP_STAFF, **BUM_PROPOSED, **dict.fromkeys(hired, "Baik")}.items():
        user_id = org.get(who) or _user_id(smk, who)
        _run(smk, "smk_cek_kurva", planning[user_id], {"predikat": predikat, "keputusan_unit": True})
    return planning


def _user_id(eng: Engine, username: str) -> int:
    with eng.session_factory() as s:
        found = s.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def _find(eng: Engine, instance_id: int, text: str, data: dict | None = None, limit: int = 20) -> list:
    with eng.session_factory() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        return kalibrasi_staf(s, instance, data or {}, text, limit)


def test_the_head_finds_their_units_staff_by_name_nip_or_user_name(smk: Engine, org: dict[str, int],
                                                                    proposed: dict[int, int]) -> None:
    yulia = proposed[org["yulia"]]
    [taufik] = _find(smk, yulia, "TAUFIK")  # any case
    assert (taufik.id, taufik.nama, taufik.nip, taufik.jabatan, taufik.predikat_usulan) == (
        org["taufik"], "Taufik Hidayat", "199010102014031003", "Pengelola Barang Milik Negara", "Baik")
    assert taufik.kunci == "199010102014031003" and taufik.di_tabel is False  # what "Perubahan lain" takes
    assert [c.id for c in _find(smk, yulia, "2014031")] == [org["taufik"]]  # part of a NIP
    username = f"staf{_hired_numbers(smk)[0]}"
    [hired] = _find(smk, yulia, username)  # a user name ("Staf 30" is the name); no NIP: the user name is the key
    assert hired.username == username and hired.kunci == username and hired.nip == ""
    [rudi] = _find(smk, yulia, "rudi", {"kalibrasi_pegawai": [{"id": org["rudi"], "predikat_kalibrasi": "Baik"}]})
    assert rudi.predikat_usulan == "Sangat Baik" and rudi.di_tabel is True  # the table lists him


def test_nobody_outside_the_units_curve_staff_with_a_proposal_is_found(smk: Engine, org: dict[str, int],
                                                                       proposed: dict[int, int]) -> None:
    yulia, ratna = proposed[org["yulia"]], proposed[org["ratna"]]
    found = {c.id for c in _find(smk, yulia, "i", limit=50)}
    # Everyone of Biro Umum with an "i" and a proposal: not wahyu (no proposal yet), not yulia (the head), nobody
    # of another unit.
    bum = {org[w] for w in BUM_PROPOSED} | {_user_id(smk, f"staf{k}") for k in _hired_numbers(smk)}
    assert found == {i for i in bum if "i" in _name(smk, i).lower()} and org["rudi"] in found
    assert org["wahyu"] not in found and org["yulia"] not in found
    assert _find(smk, yulia, "Wahyu") == [] and _find(smk, yulia, "Budi") == []
    # The head of another unit finds their own staff, never Biro Umum's.
    brp = {c.id for c in _find(smk, ratna, "i", limit=50)}
    assert brp and brp <= {org[w] for w in BRP_STAFF}
    assert _find(smk, ratna, "Taufik") == [] and _find(smk, ratna, "199010102014031003") == []
    # Someone who heads no curve unit finds nobody; LIKE's wildcards are only characters.
    assert _find(smk, proposed[org["budi"]], "Taufik") == [] and _find(smk, yulia, "__") == []
    assert _find(smk, yulia, "%") == [] and _find(smk, yulia, "  ") == []


def test_at_most_the_limit_and_those_starting_with_the_text_first(smk: Engine, org: dict[str, int],
                                                                  proposed: dict[int, int]) -> None:
    yulia = proposed[org["yulia"]]
    assert len(_find(smk, yulia, "staf")) == 20 and len(_find(smk, yulia, "staf", limit=5)) == 5
    assert len(_find(smk, yulia, "staf", limit=50)) == 25
    # "ta" is in the 25 "Staf …" and starts "Taufik Hidayat": by name alone he would come 26th, past the limit.
    found = [c.nama for c in _find(smk, yulia, "ta")]
    assert len(found) == 20 and found[0] == "Taufik Hidayat" and found[1:] == sorted(found[1:])


def _hired_numbers(eng: Engine) -> list[str]:
    with eng.session_factory() as s:
        return [u[4:] for u in s.scalars(select(User.username).where(User.username.like("staf%")))]


def _name(eng: Engine, user_id: int) -> str:
    with eng.session_factory() as s:
        user = s.get(User, user_id)
        assert user is not None
        return user.full_name


def test_the_calibration_tables_sizes_are_settings() -> None:
    assert calibration_table({}) == CalibrationTable(full_table_staff=300, listed_moves=2000)
    assert calibration_table({"SMK_CALIBRATION_FULL_TABLE_STAFF": " 300 ", "SMK_CALIBRATION_LISTED_MOVES": "50"}
                             ) == CalibrationTable(300, 50)
    for value in ("0", "-5", "abc", "1.5", "١٢"):
        with pytest.raises(ValueError, match="SMK_CALIBRATION_LISTED_MOVES must be a positive whole number"):
            calibration_table({"SMK_CALIBRATION_LISTED_MOVES": value})
