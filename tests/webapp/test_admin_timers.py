"""The admin instance page lists an instance's waiting timers and fires the due ones now (issue 13); the admin list
filters by status and process in both languages and pages through the filtered rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.deferred import start_all_deferred
from processes.demo import demo_iku
from webapp import create_app

from .conftest import Auth, csrf_token


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url, "PER_PAGE": 5}, engine=smk)


@pytest.fixture
def period(smk: Engine, org: dict[str, int]) -> int:
    """Period 2023 opened on 2 January 2023: its case waits for the end of the period (31 December, 23:59 WIB)."""
    started = instances.start_instance(smk, "smk_periode", org["indah"], None, "")
    task = started.ready_task_ids[0]
    instances.claim_task(smk, org["indah"], task)
    instances.complete_task(smk, org["indah"], task, {
        "tahun": 2023, "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
        "batas_skp": "2023-01-31", "batas_penilaian": "2024-01-31", "maks_putaran": 3, "iku_organisasi": demo_iku()})
    start_all_deferred(smk)
    return started.id


def _next_timer(smk: Engine, instance_id: int) -> datetime | None:
    with smk.session_factory() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        return instance.next_timer_at


def _fire(client: FlaskClient, instance_id: int):
    token = csrf_token(client, f"/admin/instances/{instance_id}")
    return client.post(f"/admin/instances/{instance_id}/timers/fire", data={"csrf_token": token},
                       follow_redirects=True)


def test_the_admin_sees_the_timers_and_fires_a_due_one_now(smk: Engine, org: dict[str, int], clock: FixedClock,
                                                            client: FlaskClient, auth: Auth, period: int) -> None:
    auth.login("admin")
    html = client.get(f"/admin/instances/{period}").get_data(as_text=True)
    timers = html[html.index('data-testid="timers"'):]
    assert "Akhir periode" in timers and "31 Des 2023" in timers
    assert "Jalankan timer yang jatuh tempo sekarang" not in html  # nothing is due yet
    refused = _fire(client, period).get_data(as_text=True)
    assert "Belum ada timer proses ini yang jatuh tempo" in refused
    due = _next_timer(smk, period)
    assert due is not None
    clock.set(due + timedelta(minutes=1))  # the worker has not run since
    html = client.get(f"/admin/instances/{period}").get_data(as_text=True)
    assert "jatuh tempo</span>" in html and "Jalankan timer yang jatuh tempo sekarang" in html
    done = _fire(client, period).get_data(as_text=True)
    assert "Timer yang jatuh tempo telah dijalankan." in done
    assert _next_timer(smk, period) != due  # the model moved on to its next wait (the assessment deadline)
    with smk.session_factory() as s:
        fired = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == period,
                                                   AuditEvent.kind == "timer.fired")).all()
    assert any(e.actor_id == org["admin"] and e.data.get("by_hand") for e in fired)  # who fired it
    assert any(e.actor_id is None for e in fired)  # and the engine's own record of the firing


@pytest.mark.parametrize("username", ["indah", "budi", "pemilik"])
def test_only_administrators_fire_timers(smk: Engine, client: FlaskClient, auth: Auth, period: int,
                                         clock: FixedClock, username: str) -> None:
    due = _next_timer(smk, period)
    assert due is not None
    clock.set(due + timedelta(minutes=1))
    auth.login(username)
    token = csrf_token(client, "/")
    assert client.post(f"/admin/instances/{period}/timers/fire", data={"csrf_token": token}).status_code == 403
    assert _next_timer(smk, period) == due


def test_firing_needs_the_csrf_token(smk: Engine, client: FlaskClient, auth: Auth, period: int) -> None:
    auth.login("admin")
    assert client.post(f"/admin/instances/{period}/timers/fire").status_code == 400


def _rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/admin/instances/(\d+)"', html)]


def test_the_list_filters_in_both_languages_and_pages_through_the_filtered_rows(
        smk: Engine, org: dict[str, int], client: FlaskClient, auth: Auth, period: int) -> None:
    with smk.session_factory() as s:
        planning = sorted(s.scalars(select(Instance.id).where(Instance.process_id == "smk_perencanaan")))
    assert len(planning) > 10
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    assert ">Berjalan</option>" in html and ">running</option>" not in html  # statuses in words
    assert "(smk_perencanaan)</option>" in html  # processes by name, chosen from a list
    seen: list[int] = []
    html = client.get("/admin/?process=smk_perencanaan").get_data(as_text=True)
    pages = int(re.search(r"Halaman 1 / (\d+)", html).group(1))  # type: ignore[union-attr]
    for page in range(1, pages + 1):
        html = client.get(f"/admin/?process=smk_perencanaan&page={page}").get_data(as_text=True)
        rows = _rows(html)
        assert 0 < len(rows) <= 5 and f"Halaman {page} / {pages}" in html
        assert "process=smk_perencanaan" in html[html.index("pagination"):]  # the filter travels with the pager
        seen += rows
    assert sorted(seen) == planning and pages == -(-len(planning) // 5)  # every row once, no other process
    assert _rows(client.get("/admin/?process=smk_perencanaan&page=999").get_data(as_text=True)) == seen[-len(rows):]
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    html = client.get("/admin/?status=waiting").get_data(as_text=True)
    assert ">Running</option>" in html and ">Waiting</option>" in html and "Berjalan" not in html
    assert set(_rows(html)) == {period}  # the period case waits for its timer; every planning case has a task
    html = client.get("/admin/?process=smk_perencanaan&page=2").get_data(as_text=True)
    assert "Page 2 / " in html and _rows(html) == seen[5:10]
