"""Bundles as zip files (engine/services/bundle_zip.py): our layout and SpiffArena's both round-trip to the same
specs; archive attacks are refused with a message before anything is parsed."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from engine.deploy.bundles import MAX_FILE_BYTES, parse_bundle
from engine.errors import DeploymentInvalid
from engine.services.bundle_zip import MAX_MEMBERS, export_zip, import_zip, read_zip
from engine.services.deployments import read_folder
from engine.services.diff import diff_bundles

ROOT = Path(__file__).resolve().parents[2]


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _message(exc: pytest.ExceptionInfo[DeploymentInvalid]) -> str:
    return " ".join(str(p) for p in exc.value.problems)


def test_our_layout_round_trips_byte_for_byte() -> None:
    files = read_folder(ROOT / "bpmn" / "demo")
    imported = import_zip(export_zip(files))
    assert imported.layout == "smk" and imported.files == files and imported.unsupported == []


def test_one_folder_around_the_files_is_accepted() -> None:
    files = read_folder(ROOT / "bpmn" / "demo")
    imported = import_zip(_zip({f"demo/{name}": content for name, content in files.items()}))
    assert imported.files == files


def test_spiffarena_layout_round_trips_to_the_same_specs() -> None:
    files = read_folder(ROOT / "bpmn" / "demo")
    exported = export_zip(files, "spiffarena", "Demo")
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        names = archive.namelist()
        group = json.loads(archive.read("process_group.json"))
    assert group["display_name"] == "Demo"
    assert "demo-penilaian/process_model.json" in names
    assert any(n.endswith("-schema.json") for n in names) and not any(n.endswith(".schema.json") for n in names)
    imported = import_zip(exported)
    assert imported.layout == "spiffarena" and imported.name == "Demo"
    assert set(imported.files) == set(files)
    result = diff_bundles(parse_bundle(files), parse_bundle(imported.files))
    assert result.empty, result.text()


def test_a_spiffarena_connector_call_is_reported_as_not_supported() -> None:
    files = read_folder(ROOT / "bpmn" / "demo")
    exported = export_zip(files, "spiffarena")
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    bpmn_name = next(n for n in members if n.endswith("demo_penilaian.bpmn"))
    members[bpmn_name] = members[bpmn_name].replace(
        b"</bpmn:process>", b'<bpmn:serviceTask id="http"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
        b'id="http/GetRequestV2" resultVariable="r"/></bpmn:extensionElements></bpmn:serviceTask></bpmn:process>', 1)
    imported = import_zip(_zip(members))
    assert any("http/GetRequestV2" in note and "connector-proxy" in note for note in imported.unsupported)


@pytest.mark.parametrize("name", ["../evil.bpmn", "/etc/passwd.bpmn", "a/../../b.bpmn", "C:/x.bpmn", "a\\b.bpmn",
                                  ".hidden/x.bpmn"])
def test_unsafe_member_paths_are_refused(name: str) -> None:
    with pytest.raises(DeploymentInvalid) as exc:
        read_zip(_zip({name: b"<x/>"}))
    assert "unsafe path" in _message(exc)


def test_a_zip_bomb_is_refused_by_its_ratio() -> None:
    bomb = _zip({"bomb.bpmn": b"\0" * (3 * 2**19)})
    assert len(bomb) < 20_000
    with pytest.raises(DeploymentInvalid) as exc:
        read_zip(bomb)
    assert "zip bomb" in _message(exc)


def test_a_member_over_the_file_limit_is_refused_even_stored_uncompressed() -> None:
    big = _zip({"big.bpmn": b"x" * (MAX_FILE_BYTES + 1)}, zipfile.ZIP_STORED)
    with pytest.raises(DeploymentInvalid) as exc:
        read_zip(big)
    assert "larger than" in _message(exc)


def test_too_many_members_and_symbolic_links_and_garbage() -> None:
    with pytest.raises(DeploymentInvalid) as exc:
        read_zip(_zip({f"f{n}.json": b"{}" for n in range(MAX_MEMBERS + 1)}))
    assert "too many files" in _message(exc)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link.bpmn")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(DeploymentInvalid) as exc:
        read_zip(buffer.getvalue())
    assert "symbolic link" in _message(exc)
    with pytest.raises(DeploymentInvalid) as exc:
        read_zip(b"PK\x03\x04 this is not a zip")
    assert "not a zip archive" in _message(exc)
    with pytest.raises(DeploymentInvalid) as exc:
        import_zip(_zip({}))
    assert "empty" in _message(exc)


def test_entity_expansion_inside_a_zip_is_caught_by_the_deploy_checks() -> None:
    billion = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
               b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</definitions>')
    imported = import_zip(_zip({"lol.bpmn": billion}))
    with pytest.raises(DeploymentInvalid):
        parse_bundle(imported.files)


def test_folders_without_process_model_json_are_refused() -> None:
    with pytest.raises(DeploymentInvalid) as exc:
        import_zip(_zip({"a/x.bpmn": b"<x/>", "b/y.bpmn": b"<y/>"}))
    assert "process_model.json" in _message(exc)
