"""The Model proses workspace's BPMN and DMN editors in a real browser, as a process owner (pemilik) uses them.

- smk_perencanaan: the SKP deadline reminder timer (regime C) is changed in the properties panel, validated and
  deployed; a planning instance started afterwards waits for the new reminder time, one running since before keeps
  the old one (both read from the engine: the instance's earliest timer and its process version).
- kurva_distribusi: one bound of the decision table is edited in dmn-js and deployed; the new DecisionVersion
  holds the new bound, the previous version is unchanged, and the curve check (cek_kurva_distribusi, as the
  assessment's curve step calls it) reports the new bound in an instance started after the deployment while one
  started before keeps the old (the tables are pinned per instance at its start).
- A broken condition typed on a gateway's flow: Validate marks the gateway (and the flow) in the diagram and lists
  the problem (a click selects the element); Deploy refuses, nothing is deployed, and the re-rendered page marks it.
Screenshots at 1366 and 390 px wide go to tests/artifacts/workspace_*.png.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from engine.db.deploy import DecisionVersion, Deployment, DeploymentFile, ProcessVersion
from engine.db.runtime import Instance
from engine.services import instances
from engine.services.deployments import deploy
from processes.demo import start_demo_work
from tools.bpmn_builder import Process, document

from .conftest import ARTIFACTS, Site, login

SMK = "/proses/ruang-kerja/bpmn~smk"
RULES = "/proses/ruang-kerja/bpmn~rules"
# The reminder moves from 7 to 3 days before the SKP deadline (batas_skp, 31 January 2024 in the demo period).
NEW_REMINDER = "(date.fromisoformat(batas_skp) - timedelta(days=3)).isoformat() + 'T08:00:00+07:00'"
OLD_DUE = datetime(2024, 1, 24, 1, 0)  # 24 January 08:00 WIB
NEW_DUE = datetime(2024, 1, 28, 1, 0)  # 28 January 08:00 WIB
PLANNING_START = ("regime", "frekuensi", "tanggal_mulai", "tanggal_akhir", "jumlah_slice", "batas_skp",
                  "batas_penilaian", "maks_putaran", "iku_organisasi")


def _shots(page: Page, name: str) -> None:
    """The page at 1366 and at 390 px wide (the editor stays usable on a phone: panel under the canvas)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(ARTIFACTS / f"workspace_{name}_{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def _open(page: Page, base: str, filename: str) -> None:
    page.goto(f"{base}?file={filename}")
    expect(page.locator("#ws")).to_have_attribute("data-state", "ready")


def _planning(site: Site, subject: str) -> list[Instance]:
    with site.engine.session_factory() as s:
        return list(s.scalars(select(Instance).where(Instance.process_id == "smk_perencanaan",
                                                     Instance.subject_id == site.org[subject])
                              .order_by(Instance.id)))


def _start_data(site: Site, instance_id: int) -> dict[str, Any]:
    """What the period process gave the running planning (its start data), read from its stored workflow."""
    with site.engine.session_factory() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        workflow = site.engine.runtime.load(inst, site.engine.specs.for_version(s, inst.process_version_id))
        data = dict(workflow.last_task.data)
    return {key: data[key] for key in PLANNING_START}


def _curve_process() -> bytes:
    """start -> first (user) -> the curve check of an Istimewa unit with 7 of 10 staff Sangat Baik -> second -> end.
    The check runs after the first task, i.e. after the deployment for an instance started before it."""
    p = Process("p_kurva_uji", "Cek kurva (uji)", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    p.script("hitung", "Hitung", "kurva = cek_kurva_distribusi('Istimewa', ['Sangat Baik'] * 7 + ['Baik'] * 3)",
             lane="Pegawai", col=2)
    p.user("second", "Second", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "first", "hitung", "second", "e")
    return document(p).encode()


def _curve_check(site: Site, who: str, started: Any) -> dict[str, Any]:
    """Complete the instance's first task; return what its curve check said."""
    done = instances.complete_task(site.engine, site.org[who], started.ready_task_ids[0], {})
    return instances.get_task(site.engine, site.org[who], done.ready_task_ids[0]).data["kurva"]


def _csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: found.append(str(exc)))
    return found


def _deploy(page: Page, note: str) -> None:
    page.locator("summary", has_text=re.compile("^(Deploy)$")).click()
    page.get_by_label(re.compile("Catatan|Note")).fill(note)
    page.locator("#ws-deploy").click(timeout=240_000)  # deploying bpmn/smk runs its scenario tests first
    page.wait_for_load_state()


def _deployments(site: Site) -> int:
    with site.engine.session_factory() as s:
        return s.scalar(select(func.count(Deployment.id))) or 0


def _naive(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value and value.tzinfo else value


def test_owner_changes_the_skp_reminder_timer_new_instances_follow(page: Page, site: Site) -> None:
    assert start_demo_work(site.engine) > 0  # period 2024 opened: Ratna (a leader) drafts her SKP now
    running = _planning(site, "ratna")
    assert len(running) == 1 and _naive(running[0].next_timer_at) == OLD_DUE
    start_data = _start_data(site, running[0].id)

    login(page, "pemilik")
    _open(page, SMK, "smk_perencanaan.bpmn")
    expect(page.locator("#ws-editor .djs-element").first).to_be_visible()
    # The owner scrolls to the regime C drafting task's reminder (the canvas API here) and clicks it.
    page.evaluate("() => SmkWorkspace.current.modeler.get('canvas').scrollToElement('pengingat_c')")
    page.locator('#ws-editor .djs-element[data-element-id="pengingat_c"]').click()
    expect(page.locator("#ws-properties .bio-properties-panel-header-label")).to_contain_text("Pengingat batas SKP")
    timer = page.locator("#bio-properties-panel-timerEventDefinitionValue")
    expect(timer).to_have_value("batas_pengingat")
    timer.fill(NEW_REMINDER)
    timer.press("Tab")
    expect(page.locator("#ws")).to_have_attribute("data-dirty", "true")
    page.locator("#ws-validate").click()  # saves the draft first, then runs the deploy checks
    expect(page.locator("#ws-status")).to_contain_text(re.compile("Tidak ada masalah|No problems"))
    expect(page.locator("#ws")).to_have_attribute("data-dirty", "false")
    _shots(page, "timer")

    _deploy(page, "Pengingat SKP 3 hari sebelum batas")
    expect(page).to_have_url(re.compile(r"/proses/(deployments/)?\d+$"))
    with site.engine.session_factory() as s:
        versions = list(s.scalars(select(ProcessVersion.version).where(ProcessVersion.process_id == "smk_perencanaan")
                                  .order_by(ProcessVersion.version)))
    assert versions == [1, 2]

    started = instances.start_instance(site.engine, "smk_perencanaan", site.org["indah"], site.org["ratna"],
                                       "2024-uji", start_data)
    old, new = _planning(site, "ratna")
    assert new.id == started.id and new.process_version_id != old.process_version_id
    assert _naive(new.next_timer_at) == NEW_DUE  # the new version's reminder
    assert _naive(old.next_timer_at) == OLD_DUE  # the running one keeps its version and its reminder


def test_owner_edits_a_bound_of_the_distribution_curve(page: Page, site: Site) -> None:
    violations = _csp_violations(page)
    deploy(site.engine, {"p_kurva_uji.bpmn": _curve_process()}, site.org["pemilik"], name="uji/kurva")
    running = instances.start_instance(site.engine, "p_kurva_uji", site.org["indah"], site.org["budi"], "2024")
    login(page, "pemilik")
    _open(page, RULES, "kurva_distribusi.dmn")
    cell = page.locator('#ws-editor [data-element-id="rule_1_out_4"]')
    expect(cell).to_have_text("70")
    # The rule's documentation is in the annotations column, next to its cells.
    expect(page.locator("#ws-editor")).to_contain_text("Istimewa: istimewa_maks_sangat_baik")
    # Only the hit policies SpiffWorkflow evaluates are offered.
    page.locator("#ws-editor .hit-policy-edit-policy-select").click()
    options = page.locator(".dms-select-options .option")
    expect(options).to_have_count(2)
    assert [o.strip() for o in options.all_inner_texts()] == ["Unique (satu aturan)", "Collect (semua aturan)"]
    page.keyboard.press("Escape")
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    page.locator('#ws-editor [data-element-id="rule_2_out_4"]').click()
    expect(page.locator("#ws")).to_have_attribute("data-dirty", "true")
    page.locator("#ws-save").click()
    expect(page.locator("#ws-status")).to_contain_text(re.compile("Draf disimpan|Draft saved"))
    _shots(page, "dmn")
    with site.engine.session_factory() as s:
        before = s.scalar(select(func.max(DecisionVersion.version)).where(
            DecisionVersion.decision_id == "kurva_distribusi"))
    _deploy(page, "Batas Istimewa: paling banyak 60% Sangat Baik")
    expect(page).to_have_url(re.compile(r"/proses/(deployments/)?\d+$"))
    with site.engine.session_factory() as s:
        rows = s.execute(select(DecisionVersion.version, DeploymentFile.content)
                         .join(DeploymentFile, (DeploymentFile.deployment_id == DecisionVersion.deployment_id)
                               & (DeploymentFile.filename == DecisionVersion.filename))
                         .where(DecisionVersion.decision_id == "kurva_distribusi")
                         .order_by(DecisionVersion.version)).all()
    assert [r.version for r in rows][-1] == (before or 0) + 1
    new_cell = re.search(rb'<outputEntry id="rule_1_out_4">\s*<text>([^<]*)</text>', rows[-1].content)
    old_cell = re.search(rb'<outputEntry id="rule_1_out_4">\s*<text>([^<]*)</text>', rows[-2].content)
    assert new_cell and new_cell.group(1) == b"60"
    assert old_cell and old_cell.group(1) == b"70"
    # The curve check follows the table pinned at the instance's start: 60% of 10 for a new one, 70% kept by the
    # one running since before the deployment.
    new = instances.start_instance(site.engine, "p_kurva_uji", site.org["indah"], site.org["siti"], "2024")
    after, before = _curve_check(site, "siti", new), _curve_check(site, "budi", running)
    assert before["ok"] is True and before["violations"] == []
    assert after["ok"] is False
    assert [v["batas_orang"] for v in after["violations"]] == [6]
    assert "paling banyak 6 dari 10" in after["violations"][0]["message"]
    assert violations == []


def test_a_broken_condition_is_marked_on_its_gateway_and_nothing_is_deployed(page: Page, site: Site) -> None:
    deployed = _deployments(site)
    violations = _csp_violations(page)
    login(page, "pemilik")
    _open(page, SMK, "smk_perencanaan.bpmn")
    page.evaluate("() => SmkWorkspace.current.select('f_atasan_siap')")
    condition = page.locator("#bio-properties-panel-spiff-condition-body")
    expect(condition).to_have_value("bool((skp_atasan or {}).get('rhk_siap'))")
    condition.fill("bool((skp_atasan or {}).get('rhk_siap')")  # a parenthesis missing
    condition.press("Tab")
    page.locator("#ws-validate").click()
    expect(page.locator("#ws-status")).to_contain_text(re.compile("masalah ditemukan|problem\\(s\\) found"))
    gateway = page.locator('#ws-editor .djs-element.ws-problem[data-element-id="atasan_siap"]')
    expect(gateway).to_have_count(1)
    expect(page.locator('#ws-editor .djs-element.ws-problem[data-element-id="f_atasan_siap"]')).to_have_count(1)
    expect(page.locator("#ws-editor .ws-problem-badge").first).to_be_visible()
    item = page.locator("#ws-problems .ws-problem-item", has_text="f_atasan_siap")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("smk_perencanaan.bpmn")
    page.evaluate("() => SmkWorkspace.current.modeler.get('selection').select([])")
    item.focus()
    page.keyboard.press("Enter")  # the list is keyboard-usable: Enter selects the element
    expect(page.locator('#ws-editor .djs-element.selected[data-element-id="f_atasan_siap"]')).to_have_count(1)
    _shots(page, "broken_condition")

    _deploy(page, "Kondisi rusak")
    expect(page.get_by_test_id("problems")).to_contain_text("f_atasan_siap")
    expect(page.locator("#ws")).to_have_attribute("data-state", "ready")
    # The refused deploy's page marks the same gateway from the server's problem list.
    expect(page.locator('#ws-editor .djs-element.ws-problem[data-element-id="atasan_siap"]')).to_have_count(1)
    assert _deployments(site) == deployed
    assert violations == []  # the modeller, its panel and the overlays work under the app's CSP


def test_a_save_after_someone_else_saved_the_file_is_a_conflict_naming_them(page: Page, site: Site) -> None:
    from engine.services import workspace as ws

    login(page, "pemilik")
    _open(page, SMK, "smk_perencanaan.bpmn")
    loaded = int(page.locator("#ws").get_attribute("data-revision") or "0")
    # Meanwhile the administrator saves the same file in their own draft.
    theirs = ws.read_file(site.engine, site.org["admin"], "bpmn~smk", "smk_perencanaan.bpmn")
    ws.save_file(site.engine, site.org["admin"], "bpmn~smk", "smk_perencanaan.bpmn",
                 theirs.content.encode().replace(b'name="Pengingat batas SKP"', b'name="Pengingat SKP"', 1), loaded)
    page.evaluate("() => SmkWorkspace.current.select('susun_skp_c')")
    name = page.locator("#bio-properties-panel-name")
    name.fill("Susun SKP pegawai (regime C)")
    name.press("Tab")
    page.locator("#ws-save").click()
    status = page.locator("#ws-status")
    expect(status).to_contain_text(re.compile(r"\badmin\b"))  # who saved (the 409 names them)
    expect(status).to_contain_text(re.compile("tidak disimpan|not saved"))
    expect(page.locator("#ws")).to_have_attribute("data-dirty", "true")  # the edit stays in the editor
    _shots(page, "conflict")
    mine = ws.read_file(site.engine, site.org["pemilik"], "bpmn~smk", "smk_perencanaan.bpmn")
    assert mine.source == "deployed" and "Susun SKP pegawai (regime C)" not in mine.content  # nothing overwritten


def test_a_problem_in_another_file_opens_that_file_with_the_element_selected(page: Page, site: Site) -> None:
    from engine.services import workspace as ws

    # pemilik's draft already holds a broken condition in smk_perencanaan.bpmn (saved earlier).
    mine = ws.read_file(site.engine, site.org["pemilik"], "bpmn~smk", "smk_perencanaan.bpmn")
    broken = mine.content.replace(">bool((skp_atasan or {}).get('rhk_siap'))<", ">bool((skp_atasan or {}).get('rhk_siap')<")
    assert broken != mine.content
    ws.save_file(site.engine, site.org["pemilik"], "bpmn~smk", "smk_perencanaan.bpmn", broken.encode(), mine.revision)
    login(page, "pemilik")
    _open(page, SMK, "smk_periode.bpmn")
    page.locator("#ws-validate").click()
    item = page.locator("#ws-problems .ws-problem-item", has_text="f_atasan_siap")
    expect(item).to_contain_text("smk_perencanaan.bpmn")
    item.click()
    expect(page).to_have_url(re.compile(r"file=smk_perencanaan\.bpmn.*select=f_atasan_siap"))
    expect(page.locator("#ws")).to_have_attribute("data-state", "ready")
    expect(page.locator('#ws-editor .djs-element.selected[data-element-id="f_atasan_siap"]')).to_have_count(1)
    expect(page.locator('#ws-editor .djs-element.ws-problem[data-element-id="atasan_siap"]')).to_have_count(1)
    expect(page.locator("#ws-problems .ws-problem-item")).to_have_count(1)  # the list came along


def test_a_decision_table_cell_that_does_not_parse_is_marked(page: Page, site: Site) -> None:
    login(page, "pemilik")
    _open(page, RULES, "kurva_distribusi.dmn")
    cell = page.locator('#ws-editor [data-element-id="rule_2_out_4"]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("70 +")
    page.locator('#ws-editor [data-element-id="rule_3_out_4"]').click()
    page.locator("#ws-validate").click()
    expect(page.locator("#ws-status")).to_contain_text(re.compile("masalah ditemukan|problem\\(s\\) found"))
    marked = page.locator('#ws-editor .ws-problem[data-element-id="rule_2_out_4"]')
    expect(marked).to_have_count(1)
    assert "70 +" in (marked.get_attribute("title") or "")
    item = page.locator("#ws-problems .ws-problem-item", has_text="rule_2_out_4")
    expect(item).to_contain_text("kurva_distribusi.dmn")
    _shots(page, "dmn_problem")
