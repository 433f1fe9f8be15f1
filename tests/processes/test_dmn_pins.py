"""Inside the engine the rule functions read the deployed tables pinned for the instance (use_tables), never the
repository's files; outside it they read the shipped files."""

from __future__ import annotations

import hashlib

import pytest

from processes.rules import dmn_tables
from processes.rules.dmn_tables import DMN_FILES, load_table, table_version, use_tables
from processes.rules.errors import DmnTableError
from processes.rules.script_api import SCRIPT_FUNCTIONS


def _pinned(decision_id: str, content: bytes) -> dict[str, tuple[str, bytes]]:
    return {decision_id: (hashlib.sha256(content).hexdigest(), content)}


def test_the_pinned_table_wins_over_the_shipped_file_and_is_parsed_once() -> None:
    shipped = DMN_FILES["kurva_distribusi"].read_bytes()
    changed = shipped.replace(b'<outputEntry id="rule_2_out_4"><text>70</text>',
                              b'<outputEntry id="rule_2_out_4"><text>50</text>')
    assert changed != shipped
    staff = ["Baik"] * 4 + ["Butuh Perbaikan"] * 2
    assert SCRIPT_FUNCTIONS["cek_kurva_distribusi"]("Baik", staff)["ok"]
    with use_tables(_pinned("kurva_distribusi", changed)):
        result = SCRIPT_FUNCTIONS["cek_kurva_distribusi"]("Baik", staff)
        assert not result["ok"] and result["versi_tabel"] == table_version(changed, "kurva_distribusi")
        assert load_table("kurva_distribusi") is load_table("kurva_distribusi")  # cached by content hash
    assert SCRIPT_FUNCTIONS["cek_kurva_distribusi"]("Baik", staff)["ok"]  # outside: the shipped file again


def test_a_decision_not_pinned_is_an_error_not_the_repository_file() -> None:
    shipped = DMN_FILES["kurva_distribusi"].read_bytes()
    with use_tables(_pinned("kurva_distribusi", shipped)), \
            pytest.raises(DmnTableError, match="no version of this decision was deployed"):
        SCRIPT_FUNCTIONS["rekomendasi_tindak_lanjut"](["Baik"], "JA")


def test_a_pinned_file_holding_another_decision_is_refused() -> None:
    other = DMN_FILES["tindak_lanjut"].read_bytes()
    with use_tables({"kurva_distribusi": (hashlib.sha256(other).hexdigest() + "x", other)}), \
            pytest.raises(DmnTableError, match="holds decision 'tindak_lanjut'"):
        dmn_tables.load_table("kurva_distribusi")
