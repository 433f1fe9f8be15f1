"""The hot path (issue 15): one completion over HTTP and one task page, counted in SQL statements and
transactions with SQLAlchemy's events (printed, and held to a budget)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from engine.core import Engine
from engine.services import instances
from tests.statements import recorded

from .conftest import Auth

GOOD = {"ringkasan": "Laporan bulan ini", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
        "kegiatan[0][nama]": "Rapat", "kegiatan[0][target]": "4", "kegiatan[0][realisasi]": "3"}


@dataclass
class Counter:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    writing: int = 0

    def reset(self) -> None:
        self.statements.clear()
        self.transactions = self.writing = 0

    def __str__(self) -> str:
        return f"{len(self.statements)} statements in {self.transactions} transactions ({self.writing} writing)"


@pytest.fixture
def counter(demo_deployed: Engine) -> Iterator[Counter]:
    # SQLite's explicit BEGIN is not a statement here.
    with recorded(demo_deployed.db, skip=("BEGIN", "COMMIT", "ROLLBACK")) as statements:
        found = Counter(statements)

        def begin(conn: Any) -> None:
            found.transactions += 1
            found.writing += bool(conn.get_execution_options().get("smk_writes"))

        event.listen(demo_deployed.db, "begin", begin)
        yield found
        event.remove(demo_deployed.db, "begin", begin)


def _form(client: FlaskClient, task_id: str) -> dict[str, str]:
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    version = re.search(r'name="_version" value="(\d+)"', page)
    assert token and version
    return {"csrf_token": token.group(1), "_version": version.group(1)}


def test_one_completion_over_http_is_one_writing_transaction(client: FlaskClient, auth: Auth, counter: Counter,
                                                              demo_deployed: Engine, org: dict[str, int]) -> None:
    task = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"],
                                    "2024").ready_task_ids[0]
    auth.login("budi")
    form = _form(client, task)
    counter.reset()
    response = client.post(f"/tasks/{task}", data=form | GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/"  # done; the next task is dewi's
    print(f"completion over HTTP: {counter}")
    for sql in counter.statements:
        print("  ", sql.split("\n")[0][:140])
    assert counter.writing == 1  # state, task index rows, audit and notifications: one transaction
    assert counter.transactions <= 2  # and at most the login's read of the user
    assert len(counter.statements) <= BUDGET
    with demo_deployed.session_factory() as s:
        from engine.db.runtime import TaskIndex

        row = s.get(TaskIndex, task)
        assert row is not None and row.outcome == "completed" and row.completed_by_id == org["budi"]


def test_the_task_page_reads_in_one_transaction(client: FlaskClient, auth: Auth, counter: Counter,
                                                demo_deployed: Engine, org: dict[str, int]) -> None:
    task = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"],
                                    "2024").ready_task_ids[0]
    auth.login("budi")
    client.get(f"/tasks/{task}")
    counter.reset()
    page = client.get(f"/tasks/{task}")
    assert page.status_code == 200 and "Isi capaian kinerja" in page.get_data(as_text=True)
    print(f"task page: {counter}")
    assert counter.writing == 0  # reading a page never takes SQLite's write lock
    def reading(table: str) -> list[str]:
        return [sql for sql in counter.statements if re.search(rf"(FROM|JOIN) {table}\b", sql)]

    # The task's instance and draft once, read with the task row in one statement (as completing it does).
    assert len(reading("instance")) == 1 and len(reading("task_draft")) == 1
    assert reading("instance") == reading("task_draft") and "FROM task_index" in reading("instance")[0]
    # The login's user, the page, the navigation (badge, "Tim saya", bell, reports link): was 6 transactions.
    assert counter.transactions == 3 and len(counter.statements) <= 12


# Issue 15: 30 statements in 6 transactions (2 writing), then 22 in 2, then 12, now 10 in 2 (SQLite and
# PostgreSQL alike). What remains: the login's user with their position and groups (1, one joined statement in
# engine.services.org.get_account); then the writing transaction: the task row with its instance, open task rows,
# user, subject, positions and draft (1); the new task's recipients, the subject's superiors (1); the notification
# (1); the instance, the closed task row and the new one (3); the audit chain: head read under its lock, the
# events in one executemany, the head (3).
BUDGET = 10


def test_the_inbox_page_reads_the_task_index_twice(client: FlaskClient, auth: Auth, counter: Counter,
                                                   demo_deployed: Engine, org: dict[str, int]) -> None:
    for username in ("budi", "siti"):
        instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org[username], "2024")
    auth.login("budi")
    client.get("/")
    counter.reset()
    page = client.get("/")
    assert page.status_code == 200 and "Isi capaian kinerja" in page.get_data(as_text=True)
    print(f"inbox page: {counter}")
    on_tasks = [sql for sql in counter.statements if "FROM task_index" in sql]
    for sql in on_tasks:
        print("  ", " ".join(sql.split())[:160])
    assert counter.writing == 0
    # The facets (which also give the total and the navigation's badge) and the page: nothing counted twice.
    assert len(on_tasks) == 2


def test_the_navigation_reads_in_one_transaction_and_says_what_each_user_sees(
        client: FlaskClient, auth: Auth, counter: Counter, demo_deployed: Engine, org: dict[str, int]) -> None:
    from processes.navigation import navigation_facts

    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    budi, dewi, indah = (navigation_facts(demo_deployed, org[u]) for u in ("budi", "dewi", "indah"))
    assert budi.task_count == 1 and not budi.is_assessor and not budi.sees_reports  # staff
    assert dewi.is_assessor and dewi.sees_reports  # Kepala Subbagian: assesses budi, heads her sub-division
    assert indah.sees_reports  # Biro SDM
    assert navigation_facts(demo_deployed, org["budi"], count_tasks=False).task_count is None
    counter.reset()
    navigation_facts(demo_deployed, org["dewi"])
    assert counter.transactions == 1
