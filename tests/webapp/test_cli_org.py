"""smk org: the template, a preview, an apply with the links written to a file, a re-import that changes nothing,
and a refused file listing its problems."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import Flask

from webapp.cli import cli


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def test_template_preview_apply_and_again(app: Flask, tmp_path: Path) -> None:
    template = tmp_path / "templat.xlsx"
    assert run(app, "org", "template", str(template)).exit_code == 0
    result = run(app, "org", "import", str(template))
    assert result.exit_code == 0 and "Preview only; nothing was changed" in result.output
    assert "pegawai.added" in result.output and "pegawai.deactivated" in result.output  # the demo's 28 employees
    links = tmp_path / "links.csv"
    result = run(app, "org", "import", str(template), "--apply", "--links", str(links))
    assert result.exit_code == 0 and "Applied. 6 new accounts" in result.output, result.output
    rows = list(csv.reader(io.StringIO(links.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["nip", "nama", "email", "tautan", "dikirim_email"] and len(rows) == 7
    assert all(r[3].startswith("/akun/sandi/") for r in rows[1:]) and oct(links.stat().st_mode)[-3:] == "600"
    result = run(app, "org", "import", str(template), "--apply")
    assert result.exit_code == 0 and "Nothing to change" in result.output
    result = run(app, "org", "group", "197508172003121002", "Biro SDM")
    assert result.exit_code == 0 and "is now in the group Biro SDM" in result.output
    result = run(app, "org", "link", "197508172003121002")
    assert result.exit_code == 0 and "Contoh Kepala Biro): /akun/sandi/" in result.output
    assert app.test_cli_runner().invoke(cli, ["org", "link", "nobody"]).exit_code == 1
    exported = tmp_path / "sekarang.xlsx"
    assert run(app, "org", "export", str(exported)).exit_code == 0
    assert "Nothing to change" in run(app, "org", "import", str(exported)).output


def test_a_refused_folder_of_csv_files(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "unit.csv").write_text("kode,nama,kode_induk\nA,Unit A,B\n")
    (tmp_path / "jabatan.csv").write_text("kode,nama,jenis,kode_unit,kode_atasan\nJ1,Kepala,JPT Utama,A,\n")
    (tmp_path / "pegawai.csv").write_text("nip,nama,kode_jabatan\n123,Budi,J1\n")
    result = app.test_cli_runner().invoke(cli, ["org", "import", str(tmp_path), "--apply"])
    assert result.exit_code == 1 and "Import refused; nothing was changed (2 problems)" in result.output
    assert "unit.csv, row 2, column kode_induk ('B'): Unknown unit code B" in result.output
    assert "pegawai.csv, row 2, column nip ('123'): A NIP has 18 digits" in result.output


def test_the_last_administrator_stays_on_the_command_line_too(app: Flask) -> None:
    result = app.test_cli_runner().invoke(cli, ["org", "group", "admin", "Administrator", "--remove"])
    assert result.exit_code == 1 and "last active administrator" in result.output
    assert run(app, "org", "group", "hendra", "Administrator").exit_code == 0
    result = run(app, "org", "group", "admin", "Administrator", "--remove")
    assert result.exit_code == 0 and "is no longer in the group Administrator" in result.output
