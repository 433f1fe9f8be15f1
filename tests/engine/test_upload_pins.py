"""Pins for uploads into a task's form (issue 9): who may upload, how big, which kinds, under which name.

Each test fails on a mutant of the check it names in ``store_upload`` and its helpers; the service refuses on its
own, whatever the web layer checked before.
"""

from __future__ import annotations

import hashlib

import pytest

from engine.core import Engine
from engine.errors import FormInvalid, NotFound
from engine.services import instances
from engine.services.deployments import deploy
from engine.services.documents import DEFAULT_MAX_BYTES, store_upload

from .test_forms_pins import english
from .test_notifications import one_task_process

PDF = b"%PDF-1.4 bukti dukung"


@pytest.fixture
def task(demo_deployed: Engine, org: dict[str, int]) -> str:
    """An open task of budi's (lane Pegawai) to upload into."""
    deploy(demo_deployed, {"one.bpmn": one_task_process()}, None)
    return instances.start_instance(demo_deployed, "p_one", org["admin"], org["budi"], "2024").ready_task_ids[0]


def refusal(eng: Engine, user_id: int, task_id: str, filename: str, content: bytes, **kwargs: object) -> str:
    with pytest.raises(FormInvalid) as info:
        store_upload(eng, user_id, task_id, "bukti", filename, content, **kwargs)  # type: ignore[arg-type]
    [error] = info.value.errors
    assert error.path == "bukti"
    return english(error.message)


def test_the_owner_of_the_task_uploads_and_gets_a_reference(demo_deployed: Engine, org: dict[str, int],
                                                            task: str) -> None:
    ref = store_upload(demo_deployed, org["budi"], task, "bukti", "bukti.pdf", PDF)
    assert (ref.filename, ref.size, ref.sha256, ref.content_type) == (
        "bukti.pdf", len(PDF), hashlib.sha256(PDF).hexdigest(), "application/pdf")


@pytest.mark.parametrize("username", ["siti", "dewi", "agus", "admin", "indah"])
def test_an_upload_to_someone_elses_task_is_refused(demo_deployed: Engine, org: dict[str, int], task: str,
                                                    username: str) -> None:
    # dewi and agus may see budi's instance, the overseers too; none of them may act on his task.
    with pytest.raises(NotFound):
        store_upload(demo_deployed, org[username], task, "bukti", "bukti.pdf", PDF)


def test_an_upload_to_a_closed_or_unknown_task_is_refused(demo_deployed: Engine, org: dict[str, int],
                                                          task: str) -> None:
    instances.complete_task(demo_deployed, org["budi"], task, {})
    with pytest.raises(NotFound):
        store_upload(demo_deployed, org["budi"], task, "bukti", "bukti.pdf", PDF)
    with pytest.raises(NotFound):
        store_upload(demo_deployed, org["budi"], "00000000-0000-0000-0000-000000000000", "bukti", "b.pdf", PDF)


def test_a_file_of_exactly_the_limit_is_accepted_one_byte_more_is_not(demo_deployed: Engine, org: dict[str, int],
                                                                      task: str) -> None:
    budi = org["budi"]
    assert store_upload(demo_deployed, budi, task, "bukti", "a.txt", b"x" * 1000, max_bytes=1000).size == 1000
    assert "at most 1 KB" in refusal(demo_deployed, budi, task, "a.txt", b"x" * 1001, max_bytes=1000)
    # The default limit (10 MB), the same way.
    big = b"x" * DEFAULT_MAX_BYTES
    assert store_upload(demo_deployed, budi, task, "bukti", "a.txt", big).size == DEFAULT_MAX_BYTES
    assert "at most 10 MB" in refusal(demo_deployed, budi, task, "a.txt", big + b"x")


def test_an_empty_file_is_refused_a_one_byte_file_is_not(demo_deployed: Engine, org: dict[str, int],
                                                         task: str) -> None:
    assert refusal(demo_deployed, org["budi"], task, "a.txt", b"") == "The file is empty"
    assert store_upload(demo_deployed, org["budi"], task, "bukti", "a.txt", b"x").size == 1


def test_the_kind_of_file_is_checked_against_the_accept_list(demo_deployed: Engine, org: dict[str, int],
                                                             task: str) -> None:
    def upload(filename: str, accept: list[str] | None = None) -> str:
        return store_upload(demo_deployed, org["budi"], task, "bukti", filename, PDF, accept=accept).content_type

    assert "not allowed (allowed: .pdf, .jpg" in refusal(demo_deployed, org["budi"], task, "program.exe", b"MZ")
    assert upload("foto.png", ["image/*"]) == "image/png" and upload("foto.JPG", ["image/*"]) == "image/jpeg"
    assert "(allowed: image/*)" in refusal(demo_deployed, org["budi"], task, "bukti.pdf", PDF, accept=["image/*"])
    assert upload("bukti.pdf", ["application/pdf"]) == "application/pdf"
    refusal(demo_deployed, org["budi"], task, "foto.png", PDF, accept=["application/pdf"])
    assert upload("data.qqqzz", ["application/octet-stream"]) == "application/octet-stream"


def test_accept_rules_are_extensions_type_wildcards_or_exact_types(demo_deployed: Engine, org: dict[str, int],
                                                                  task: str) -> None:
    def accepted(filename: str, accept: list[str]) -> bool:
        try:
            store_upload(demo_deployed, org["budi"], task, "bukti", filename, PDF, accept=accept)
        except FormInvalid:
            return False
        return True

    assert accepted("laporan.PDF", [" .pdf "]) and accepted("laporan.pdf", ["", ".PDF"])
    assert not accepted("laporan.pdf.exe", [".pdf"]) and not accepted("laporan.pdf", [""])
    assert accepted("foto.png", ["image/*"]) and not accepted("bukti.pdf", ["image/*"])
    assert accepted("bukti.pdf", ["application/pdf"]) and not accepted("bukti.pdf", ["application/pdfx", ".doc"])


def test_the_stored_name_is_the_last_path_part_without_nul_and_at_most_200_characters(
        demo_deployed: Engine, org: dict[str, int], task: str) -> None:
    def stored_name(filename: str) -> str:
        any_kind = [".pdf", "application/octet-stream"]
        return store_upload(demo_deployed, org["budi"], task, "bukti", filename, PDF, accept=any_kind).filename

    assert stored_name("C:\\fakepath\\laporan.pdf") == "laporan.pdf"
    assert stored_name("../../etc/passwd") == "passwd"
    assert stored_name("  spasi.pdf  ") == "spasi.pdf" and stored_name("a\x00b.pdf") == "ab.pdf"
    assert stored_name("bukti.pdf") == "bukti.pdf"
    assert stored_name("dir/") == "berkas" and stored_name("") == "berkas"
    assert stored_name("a" * 250 + ".pdf") == "a" * 200
