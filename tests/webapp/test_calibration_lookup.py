"""The large-unit calibration form's type-ahead over HTTP: the unit head's "Perubahan lain" NIP field names the lookup
``kalibrasi_staf``, the task answers it (``GET /tasks/<id>/lookup/kalibrasi_staf?q=…``) only to who may act on the
task, only with the unit's curve staff who have a proposal, and the form still works without JavaScript (a NIP
typed into the field is checked and recorded)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from engine.core import Engine
from engine.runtime.clock import FixedClock
from engine.services import instances
from tests.bpmn.conftest import act, events, open_tasks, status, task_data
from tests.bpmn.test_penilaian import _bum_breaking_the_curve
from tests.webapp.test_smk_forms import _Posted
from webapp import create_app
from webapp.form_preview import preview
from webapp.formrender import build_fields

from .conftest import Auth, csrf_token

SMK = Path(__file__).resolve().parents[2] / "bpmn" / "smk"
TAUFIK_NIP = "199010102014031003"


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url}, engine=smk)


@pytest.fixture
def calibration(smk: Engine, org: dict[str, int], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
                ) -> tuple[int, str]:
    """Biro Umum's six staff rated so that the unit breaks its curve, the table for large units (the setting lowered
    to 5): yulia's *Kalibrasi predikat unit* is open. Return the unit case and the task id."""
    monkeypatch.setenv("SMK_CALIBRATION_FULL_TABLE_STAFF", "5")
    unit = _bum_breaking_the_curve(smk, org, clock)
    [task] = open_tasks(smk, "kalibrasi_kurva", org["yulia"])
    return unit, task.id



def _readonly(html: str, name: str) -> str:
    found = re.search(rf'<div id="[^"]*{name}" class="form-control-plaintext readonly">(.*?)</div>', html, re.S)
    assert found is not None, name
    return found.group(1)


def test_the_units_distribution_and_the_refusal_read_in_the_pages_language(
        client: FlaskClient, auth: Auth, smk: Engine, org: dict[str, int], calibration: tuple[int, str]) -> None:
    # The process writes both languages, a whole sentence on each side of " / " on every line; the page shows one.
    _, task_id = calibration
    summary = task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])["ringkasan_kurva"]
    assert all(line.count(" / ") == 1 for line in summary.split("\n")), summary
    auth.login("yulia")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    shown = _readonly(html, "ringkasan_kurva")
    assert shown.startswith("Predikat unit: Baik; 6 pegawai.\nDistribusi usulan: Sangat Baik 1, Baik 5\n")
    assert "paling banyak 4 dari 6 pegawai" in shown and " / " not in shown and "employees" not in shown
    # Sent without the note a departure needs: the reason, in the page's language too.
    form = task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])
    kept = [{**r, "predikat_kalibrasi": r["predikat_usulan"]} for r in form["kalibrasi_pegawai"]]
    others = [{"nip": TAUFIK_NIP, "predikat_kalibrasi": "Butuh Perbaikan"}]
    act(smk, org["yulia"], "kalibrasi_kurva", {"kalibrasi_pegawai": kept, "perubahan_lain": others,
                                               "catatan_kalibrasi": ""}, org["yulia"])
    [again] = open_tasks(smk, "kalibrasi_kurva", org["yulia"])
    html = client.get(f"/tasks/{again.id}").get_data(as_text=True)
    assert _readonly(html, "galat_kalibrasi").startswith("Tulis catatan alasan bila menyimpang dari saran")
    assert "Write a note" not in html
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    html = client.get(f"/tasks/{again.id}").get_data(as_text=True)
    shown = _readonly(html, "ringkasan_kurva")
    assert shown.startswith("Unit rating: Baik; 6 employees.\nProposed: Sangat Baik 1, Baik 5\n")
    assert "- Unit Baik: at most 4 of 6 employees (70%) may be rated Baik; now 5." in shown
    assert "pegawai" not in shown and " / " not in shown
    assert _readonly(html, "galat_kalibrasi").startswith("Write a note when you depart from the suggestion")

def _lookup(client: FlaskClient, task_id: str, q: str, name: str = "kalibrasi_staf", **args: str):
    return client.get(f"/tasks/{task_id}/lookup/{name}", query_string={"q": q, **args})


def test_the_form_renders_the_nip_field_with_the_lookup(client: FlaskClient, auth: Auth,
                                                        calibration: tuple[int, str]) -> None:
    _, task_id = calibration
    auth.login("yulia")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'data-lookup-url="/tasks/{task_id}/lookup/__lookup__"' in html
    assert 'name="perubahan_lain[__i__][nip]"' in html and 'data-lookup="kalibrasi_staf"' in html
    assert 'placeholder="Ketik nama atau NIP"' in html and "lookup.js" in html
    # only the NIP field of the rows (the "Add row" template's and the spare row's without JavaScript), not the predikat
    assert html.count('data-lookup="kalibrasi_staf"') == 2


def test_the_head_calibrates_as_the_units_head_not_as_an_employee(client: FlaskClient, auth: Auth,
                                                                 calibration: tuple[int, str]) -> None:
    # The unit's case is about its head (its subject), so its lane is the subject's; the task page names the role
    # the head acts in there, not "Pegawai" as on their own SKP.
    _, task_id = calibration
    auth.login("yulia")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    role = re.search(r'Peran</dt><dd class="col-7">([^<]*)<', html)
    assert role is not None and role.group(1) == "Pimpinan Unit Kerja"


def test_the_head_finds_the_units_staff_by_name_and_nip(client: FlaskClient, auth: Auth, org: dict[str, int],
                                                        calibration: tuple[int, str], smk: Engine) -> None:
    _, task_id = calibration
    auth.login("yulia")
    answer = _lookup(client, task_id, "taufik")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    [taufik] = answer.get_json()["choices"]
    assert {k: taufik[k] for k in ("value", "name", "nip", "position", "predikat", "listed")} == {
        "value": TAUFIK_NIP, "name": "Taufik Hidayat", "nip": TAUFIK_NIP,
        "position": "Pengelola Barang Milik Negara", "predikat": "Baik", "listed": False}
    assert taufik["label"] == "Taufik Hidayat" and "usulan: Baik" in taufik["detail"]
    assert [c["name"] for c in _lookup(client, task_id, "19901010").get_json()["choices"]] == ["Taufik Hidayat"]
    found = _lookup(client, task_id, "YA", limit="50").get_json()["choices"]  # Hidayat, Yanti, Mulyani; any case
    assert {c["name"] for c in found} == {"Taufik Hidayat", "Yanti Susanti, S.Hum.", "Sri Mulyani Astuti"}
    [row] = task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])["kalibrasi_pegawai"]
    [moved] = _lookup(client, task_id, row["nip"]).get_json()["choices"]  # the one the suggestion moves
    assert moved["listed"] is True and "ada di tabel di atas" in moved["detail"]
    nobody = _lookup(client, task_id, "Budi").get_json()  # Biro Perencanaan's: not this unit
    assert nobody["choices"] == [] and nobody["empty"].startswith("Tidak ada pegawai kurva unit ini")
    assert _lookup(client, task_id, "t").get_json()["choices"] == []  # one character finds nothing yet
    assert len(_lookup(client, task_id, "an", limit="2").get_json()["choices"]) == 2
    assert _lookup(client, task_id, "Yulia").get_json()["choices"] == []  # the head is in no curve of her unit


@pytest.mark.parametrize("who", ["budi", "ratna", "rudi", "indah", "admin"])
def test_nobody_who_may_not_act_on_the_task_gets_an_answer(client: FlaskClient, auth: Auth, who: str,
                                                           calibration: tuple[int, str]) -> None:
    """Someone else (an employee of the unit, the head of another unit, Biro SDM, an administrator) gets "not
    found", as for the task page itself."""
    _, task_id = calibration
    auth.login(who)
    answer = _lookup(client, task_id, "taufik")
    assert answer.status_code == 404 and TAUFIK_NIP not in answer.get_data(as_text=True)
    assert client.get(f"/tasks/{task_id}").status_code == 404


def test_only_a_lookup_the_tasks_form_names_answers(client: FlaskClient, auth: Auth, org: dict[str, int],
                                                    calibration: tuple[int, str], smk: Engine) -> None:
    _, task_id = calibration
    assert _lookup(client, task_id, "taufik").status_code == 302  # not logged in: to the login page
    auth.login("yulia")
    assert _lookup(client, task_id, "taufik", name="pengguna").status_code == 404
    assert _lookup(client, "not-a-task", "taufik").status_code == 404
    # A task of hers whose form names no lookup (her own demo assessment) does not answer it.
    started = instances.start_instance(smk, "demo_penilaian", org["admin"], org["yulia"], "2024")
    assert _lookup(client, started.ready_task_ids[0], "taufik").status_code == 404


def test_without_javascript_a_typed_nip_is_recorded(client: FlaskClient, auth: Auth, org: dict[str, int],
                                                    calibration: tuple[int, str], smk: Engine) -> None:
    unit, task_id = calibration
    auth.login("yulia")
    page = _Posted()
    page.feed(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    form = MultiDict(page.fields)
    [moved] = [k for k in form if k.startswith("kalibrasi_pegawai[") and k.endswith("[predikat_kalibrasi]")]
    form.setlist(moved, ["Baik"])  # the head keeps the suggested one …
    assert form.get("perubahan_lain[0][__spare__]") == "1"  # the page's spare row (noscript): no "Add row" needed
    form.setlist("perubahan_lain[0][nip]", [f" {TAUFIK_NIP} "])  # … and moves Taufik, typed by NIP
    form.setlist("perubahan_lain[0][predikat_kalibrasi]", ["Butuh Perbaikan"])
    form.update({"catatan_kalibrasi": "Capaian Q4 terendah", "_action": "submit"})
    answer = client.post(f"/tasks/{task_id}", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert status(smk, unit) == "completed"
    [decision] = events(smk, "smk.kalibrasi_kurva")
    assert decision["diubah"] == [org["taufik"]] and decision["sesuai_saran"] is False
    assert _lookup(client, task_id, "taufik").status_code == 409  # the task is done: nothing to look up for


def test_the_form_editor_knows_the_lookup_option(app: Flask) -> None:
    schema = (SMK / "smk_kalibrasi_kurva.schema.json").read_text()
    ui = json.loads((SMK / "smk_kalibrasi_kurva.uischema.json").read_text())
    with app.test_request_context("/"):
        assert preview(schema, json.dumps(ui), {"kurva_unit", "kalibrasi_pegawai"})[1] == []
        ui["perubahan_lain"]["items"]["nip"]["ui:options"] = {"lookup": "semua_pegawai"}
        ui["perubahan_lain"]["items"]["predikat_kalibrasi"] = {"ui:options": {"lookup": "kalibrasi_staf"}}
        _, errors = preview(schema, json.dumps(ui), {"kurva_unit", "kalibrasi_pegawai"})
    assert errors == ["Skema UI di perubahan_lain[].nip: ui:options berisi {\"lookup\": …} yang menyebut salah satu dari "
                      "kalibrasi_staf.", "Skema UI di perubahan_lain[].predikat_kalibrasi: lookup hanya untuk isian "
                      "teks (type string, tanpa enum)."]
    fields = build_fields(json.loads(schema), json.loads((SMK / "smk_kalibrasi_kurva.uischema.json").read_text()),
                          {"kurva_unit": {"daftar_ringkas": True}})
    [other_changes] = [f for f in fields if f.name == "perubahan_lain"]
    assert [(c.name, c.lookup) for c in other_changes.children] == [
        ("perubahan_lain[__i__][nip]", "kalibrasi_staf"), ("perubahan_lain[__i__][predikat_kalibrasi]", "")]


def test_a_wrong_calibration_setting_stops_the_app_from_starting(smk: Engine, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMK_CALIBRATION_FULL_TABLE_STAFF", "seribu")
    with pytest.raises(ValueError, match="SMK_CALIBRATION_FULL_TABLE_STAFF must be a positive whole number"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                    "DATABASE_URL": smk.database_url}, engine=smk)
