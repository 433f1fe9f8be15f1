"""The reassign picker (issue 15): an administrator finds a person by typing part of a name and picks them with
the keyboard; without JavaScript the same field takes a username or NIP. No CSP violation on the way."""

from __future__ import annotations

import re

from engine.db.runtime import TaskIndex
from engine.services import instances

from .conftest import ARTIFACTS, Site, login, watch_problems


def test_an_administrator_reassigns_a_task_by_typing_a_name(page, site: Site) -> None:
    from datetime import timedelta

    from engine.access import today
    from engine.services import acting
    from tests.engine.test_acting import CAPAIAN, DEWI_POSITION, position_id

    first = instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    # Budi's review waits for dewi; siti is Plt of dewi's position this week, so the picker offers her.
    started = instances.complete_task(site.engine, site.org["budi"], first.ready_task_ids[0], CAPAIAN)
    with site.engine.session_factory() as s:
        day = today(s)
    acting.name_acting(site.engine, site.org["indah"], position_id(site.engine, DEWI_POSITION), site.org["siti"],
                       "Plt", day, day + timedelta(days=7))
    problems = watch_problems(page)
    login(page, "admin")
    page.goto(f"/admin/instances/{started.id}")
    field = page.get_by_label(re.compile("Alihkan ke|Reassign to"))
    field.press_sequentially("amin", delay=40)
    options = page.get_by_role("option")
    options.first.wait_for()
    assert "Siti Aminah" in options.first.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "user_picker_type_ahead.png"), full_page=True)
    field.press("ArrowDown")
    field.press("Enter")  # picks the highlighted person, does not submit yet
    assert field.input_value() == "siti"
    page.get_by_role("button", name=re.compile("^(Alihkan|Reassign)$")).click()
    page.wait_for_url(re.compile(rf"/admin/instances/{started.id}$"))
    assert "Siti Aminah" in page.content()
    with site.engine.session_factory() as s:
        row = s.get(TaskIndex, started.ready_task_ids[0])
        assert row is not None and row.assignee_id == site.org["siti"]
    assert problems == []


def test_without_javascript_the_field_takes_a_username(browser, site: Site) -> None:
    started = instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, "admin")
        page.goto(f"/admin/instances/{started.id}")
        page.get_by_label(re.compile("Alihkan ke|Reassign to")).fill("dewi")
        page.get_by_role("button", name=re.compile("^(Alihkan|Reassign)$")).click()
        page.wait_for_url(re.compile(rf"/admin/instances/{started.id}$"))
        assert page.get_by_role("option").count() == 0  # no list without JavaScript, just the field
    finally:
        context.close()
    with site.engine.session_factory() as s:
        row = s.get(TaskIndex, started.ready_task_ids[0])
        assert row is not None and row.assignee_id == site.org["dewi"]
