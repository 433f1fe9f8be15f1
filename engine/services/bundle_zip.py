"""Bundles as zip files: export a deployed version, import a zip — ours (flat files) or SpiffArena's
process-model folders — with every archive attack refused before anything is parsed or stored.

**Our layout** is the bundle itself: ``*.bpmn``, ``*.dmn`` and form ``*.schema.json`` / ``*.uischema.json`` at the
top of the zip.

**SpiffArena's layout** is a process group: ``process_group.json`` and one folder per process model holding
``process_model.json``, its ``.bpmn``/``.dmn`` files and its forms named ``<form>-schema.json`` and
``<form>-uischema.json``. Import flattens the folders, renames the forms to ours and rewrites the BPMN's
``formJsonSchemaFilename`` / ``formUiSchemaFilename`` properties to match; export does the reverse (one process
model per ``.bpmn`` file, holding the forms and decision tables it uses). What SpiffArena offers and we do not
run is reported, not silently dropped: service tasks calling its connector proxy (operator names such as
``http/GetRequestV2``), its BPMN unit tests (``spiffworkflow:unitTests``) and data stores.

Limits (checked on the bytes actually read, not on what the zip's headers claim): at most ``MAX_MEMBERS``
members, each at most ``MAX_FILE_BYTES`` once inflated, all together at most ``MAX_TOTAL_BYTES``, a
compression ratio of at most ``MAX_RATIO`` per member (zip bombs); no absolute paths, ``..``, backslashes,
symbolic links or encrypted members. The XML inside is then checked by the deploy checks (no DOCTYPE, so no
entity expansion).
"""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from engine.deploy.bundles import MAX_FILE_BYTES, MAX_FILES
from engine.errors import N_, DeploymentInvalid, Message, Problem

MAX_MEMBERS = MAX_FILES * 4  # folders and SpiffArena's JSON files come on top of the bundle's files
MAX_TOTAL_BYTES = 64 * 2**20
MAX_RATIO = 200
SPIFF_SCHEMA, SPIFF_UI = "-schema.json", "-uischema.json"
OUR_SCHEMA, OUR_UI = ".schema.json", ".uischema.json"

_FORM_PROPERTY = re.compile(
    rb'(<spiffworkflow:property\s+name="(?:formJsonSchemaFilename|formUiSchemaFilename)"\s+value=")([^"]*)(")')
_OPERATOR = re.compile(rb'<spiffworkflow:serviceTaskOperator[^>]*\bid="([^"]+)"')


@dataclass
class Imported:
    """The files of a bundle read from a zip, which layout it had, and what in it we do not run."""

    files: dict[str, bytes]
    layout: str  # "smk" | "spiffarena"
    name: str = ""
    unsupported: list[str] = field(default_factory=list)


def _refuse(code: str, text: str, **params: object) -> DeploymentInvalid:
    return DeploymentInvalid([Problem("(zip)", Message(code, text, params))])


def _safe_path(name: str) -> PurePosixPath:
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise _refuse("zip.path", N_("the zip holds a file with an unsafe path: %(name)s"), name=name)
    path = PurePosixPath(name)
    if any(part in ("..", "") for part in path.parts) or any(part.startswith(".") for part in path.parts):
        raise _refuse("zip.path", N_("the zip holds a file with an unsafe path: %(name)s"), name=name)
    return path


def read_zip(data: bytes) -> dict[str, bytes]:
    """Every regular member of a zip by its path, with the limits above enforced while reading."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise _refuse("zip.bad", N_("the file is not a zip archive (or it is damaged)")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _refuse("zip.too_many", N_("the zip holds too many files (%(count)s; at most %(most)s)"),
                          count=len(members), most=MAX_MEMBERS)
        files: dict[str, bytes] = {}
        total = 0
        for info in members:
            if info.is_dir():
                _safe_path(info.filename.rstrip("/"))
                continue
            path = _safe_path(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _refuse("zip.link", N_("the zip holds a symbolic link: %(name)s"), name=info.filename)
            if info.flag_bits & 0x1:
                raise _refuse("zip.encrypted", N_("the zip holds an encrypted file: %(name)s"), name=info.filename)
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
                raise _refuse("zip.bad_member", N_("%(name)s in the zip cannot be read"), name=info.filename) from None
            if len(content) > MAX_FILE_BYTES:
                raise _refuse("zip.file_too_large", N_("%(name)s is larger than %(mib)s MiB"), name=info.filename,
                              mib=MAX_FILE_BYTES // 2**20)
            if len(content) > 1024 and len(content) > MAX_RATIO * max(info.compress_size, 1):
                raise _refuse("zip.ratio", N_("%(name)s inflates more than %(ratio)s times: refused as a zip bomb"),
                              name=info.filename, ratio=MAX_RATIO)
            total += len(content)
            if total > MAX_TOTAL_BYTES:
                raise _refuse("zip.too_large", N_("the zip holds more than %(mib)s MiB once unpacked"),
                              mib=MAX_TOTAL_BYTES // 2**20)
            files[str(path)] = content
        return files


def import_zip(data: bytes) -> Imported:
    """Read a bundle from a zip in our layout or SpiffArena's (nothing is stored; deploy checks it next)."""
    members = read_zip(data)
    if not members:
        raise _refuse("zip.empty", N_("the zip is empty"))
    if any(PurePosixPath(p).name == "process_model.json" for p in members):
        return _from_spiffarena(members)
    files: dict[str, bytes] = {}
    for path, content in members.items():
        name = PurePosixPath(path).name
        if len(PurePosixPath(path).parts) > 1:
            prefix = PurePosixPath(path).parts[0]
            if any(len(PurePosixPath(p).parts) == 1 for p in members) or \
                    any(PurePosixPath(p).parts[0] != prefix for p in members):
                raise _refuse("zip.folders", N_("the zip has folders but no process_model.json: put the bundle's "
                                                "files at the top of the zip (or in one folder)"))
        if name in files:
            raise _refuse("zip.duplicate", N_("%(name)s appears twice in the zip"), name=name)
        files[name] = content
    return Imported(files, "smk")


def _from_spiffarena(members: Mapping[str, bytes]) -> Imported:
    files: dict[str, bytes] = {}
    unsupported: list[str] = []
    name = ""
    for path, content in sorted(members.items()):
        base = PurePosixPath(path).name
        if base == "process_group.json":
            name = _json_field(content, "display_name") or name
            continue
        if base == "process_model.json":
            name = name or _json_field(content, "display_name")
            continue
        if base.endswith(SPIFF_UI):
            target = base[: -len(SPIFF_UI)] + OUR_UI
        elif base.endswith(SPIFF_SCHEMA):
            target = base[: -len(SPIFF_SCHEMA)] + OUR_SCHEMA
        elif base.endswith((".bpmn", ".dmn", ".json")):
            target = base
        else:
            unsupported.append(f"{path}: not a BPMN, DMN or form file (left out)")
            continue
        if target in files and files[target] != content:
            raise _refuse("zip.duplicate", N_("%(name)s appears twice in the zip, with different contents"),
                          name=target)
        files[target] = content  # the same decision table in two process models is one file here
    for filename, content in list(files.items()):
        if filename.endswith(".bpmn"):
            files[filename] = _FORM_PROPERTY.sub(lambda m: m.group(1) + _our_form(m.group(2)) + m.group(3), content)
            unsupported += _unsupported(filename, content)
    return Imported(files, "spiffarena", name, unsupported)


def _json_field(content: bytes, key: str) -> str:
    try:
        value = json.loads(content).get(key, "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _our_form(value: bytes) -> bytes:
    for spiff, ours in ((SPIFF_UI, OUR_UI), (SPIFF_SCHEMA, OUR_SCHEMA)):
        if value.endswith(spiff.encode()):
            return value[: -len(spiff)] + ours.encode()
    return value


def _spiff_form(value: bytes) -> bytes:
    for ours, spiff in ((OUR_UI, SPIFF_UI), (OUR_SCHEMA, SPIFF_SCHEMA)):
        if value.endswith(ours.encode()):
            return value[: -len(ours)] + spiff.encode()
    return value


def _unsupported(filename: str, content: bytes) -> list[str]:
    notes = []
    for operator in sorted({m.decode() for m in _OPERATOR.findall(content)}):
        if "/" in operator:
            notes.append(f"{filename}: service task operator {operator} is a SpiffArena connector-proxy call; "
                         "SMK Workflow runs only its own operators")
    if b"spiffworkflow:unitTests" in content:
        notes.append(f"{filename}: SpiffArena BPMN unit tests (spiffworkflow:unitTests) are not run here")
    if b"dataStoreReference" in content:
        notes.append(f"{filename}: data stores are not supported")
    return notes


def export_zip(files: Mapping[str, bytes], layout: str = "smk", name: str = "") -> bytes:
    """A zip of a bundle in our layout or SpiffArena's (one process model per .bpmn file)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if layout == "smk":
            for filename in sorted(files):
                archive.writestr(filename, files[filename])
        else:
            _write_spiffarena(archive, files, name)
    return buffer.getvalue()


_PROCESS_ID = re.compile(rb'<bpmn:process\s[^>]*\bid="([^"]+)"[^>]*isExecutable="true"')
_DECISION_REF = re.compile(rb"<spiffworkflow:calledDecisionId>([^<]+)</spiffworkflow:calledDecisionId>")
_DECISION_ID = re.compile(rb'<(?:dmn:)?decision\s[^>]*\bid="([^"]+)"')


def _write_spiffarena(archive: zipfile.ZipFile, files: Mapping[str, bytes], name: str) -> None:
    archive.writestr("process_group.json", json.dumps(
        {"display_name": name or "SMK Workflow", "description": "Exported from SMK Workflow"}, indent=2))
    decisions = {m.decode(): f for f, c in files.items() if f.endswith(".dmn") for m in _DECISION_ID.findall(c)}
    used: set[str] = set()
    for filename in sorted(f for f in files if f.endswith(".bpmn")):
        content = files[filename]
        folder = filename[: -len(".bpmn")].replace("_", "-")
        process_ids = [m.decode() for m in _PROCESS_ID.findall(content)]
        archive.writestr(f"{folder}/process_model.json", json.dumps({
            "display_name": filename[: -len(".bpmn")], "description": "",
            "primary_file_name": filename, "primary_process_id": process_ids[0] if process_ids else "",
            "exception_notification_addresses": [], "fault_or_suspend_on_exception": "fault",
            "metadata_extraction_paths": None}, indent=2))
        archive.writestr(f"{folder}/{filename}", _FORM_PROPERTY.sub(
            lambda m: m.group(1) + _spiff_form(m.group(2)) + m.group(3), content))
        for match in _FORM_PROPERTY.finditer(content):
            form = match.group(2).decode()
            if form in files:
                archive.writestr(f"{folder}/{_spiff_form(match.group(2)).decode()}", files[form])
                used.add(form)
        for ref in {m.decode() for m in _DECISION_REF.findall(content)}:
            if ref in decisions:
                archive.writestr(f"{folder}/{decisions[ref]}", files[decisions[ref]])
                used.add(decisions[ref])
    rest = [f for f in files if not f.endswith(".bpmn") and f not in used]
    if rest:  # decision tables (and forms) no process of this bundle calls: a model of their own
        archive.writestr("tabel-keputusan/process_model.json", json.dumps({
            "display_name": "Tabel keputusan", "description": "Decision tables of the bundle",
            "primary_file_name": "", "primary_process_id": ""}, indent=2))
        for filename in sorted(rest):
            target = _spiff_form(filename.encode()).decode()
            archive.writestr(f"tabel-keputusan/{target}", files[filename])
