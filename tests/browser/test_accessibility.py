"""Accessibility (WCAG 2.1 AA, issue 13): axe-core runs on every page each demo role can reach, at desktop width
(1366 px) and phone width (390 px), and finds no critical or serious violation.

The pages are found as a person finds them: from the inbox, every link of the navigation and of the pages behind
it is followed (same site, GET pages only; downloads, PDF documents and exports are left out), one page per kind
of address (the first instance page, the first deployment, a BPMN, a DMN and a form file of the workspace, every
report, every task in the inbox). On top of that: the login page, error pages, a form sent back with its error
summary, and the phone menu opened. The data is the simulated year of tests/simulated_year.py (2023 played to
the end, 2024 half-way through planning), so the SKP, instance, report and history pages have content.

axe-core comes from node_modules (package.json, `make install`); it is evaluated into each page by Playwright,
never served by the app. A failure prints each violation as rule, impact, element (CSS target and HTML) and
page. Screenshots of a few pages at both widths go to tests/artifacts/a11y_*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, ROOT, Site, login, open_menu

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = [(1366, 900), (390, 844)]
BLOCKING = {"critical", "serious"}
MAX_PAGES = 60  # per role: a guard against a crawl that runs away, far above what any role reaches

# Violations inside third-party editor markup (bpmn-js, dmn-js, the properties panel) that our code cannot fix:
# (axe rule, CSS selector of the third-party container, the reason). Keep each as narrow as possible.
THIRD_PARTY: list[tuple[str, str, str]] = []

# Links that are not pages: downloads, exports, PDF documents, JSON, the workspace's file API.
NOT_A_PAGE = re.compile(r"\.(csv|xlsx|pdf|json|bpmn|dmn|zip)$|/ekspor$|/files/\d+$|/dokumen/|/documents/|/api/"
                        r"|^/static/|^/health")
# Addresses of one kind: only the first one found is visited.
KINDS = [
    (re.compile(r"^/instances/\d+$"), "instance"),
    (re.compile(r"^/admin/instances/\d+$"), "admin-instance"),
    (re.compile(r"^/proses/deployments/\d+$"), "deployment"),
    (re.compile(r"^/proses/migrasi/"), "migration"),
    (re.compile(r"^/skp/\d+(/\d+)?$"), "skp"),
    (re.compile(r"^/pegawai/\d+/riwayat$"), "history"),
    (re.compile(r"^/organisasi/pengguna/\d+$"), "org-user"),
    (re.compile(r"^/organisasi/jabatan/\d+$"), "org-position"),
    (re.compile(r"^/organisasi/struktur/unit/\d+$"), "org-unit"),
    (re.compile(r"^/organisasi/grup/[^/]+$"), "org-group"),
    (re.compile(r"^/organisasi/grup/[^/]+/keluarkan/\d+$"), "org-group-remove"),
    (re.compile(r"^/akun/sandi/"), "set-password"),
]


def _kind(url: str) -> str | None:
    """The key under which a page counts as already visited; None when the address is not to be visited."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    if NOT_A_PAGE.search(path):
        return None
    if path.startswith("/proses/ruang-kerja/") and path.count("/") == 3:
        # The workspace: one page per kind of file (BPMN, DMN, form), and its discard page.
        match = re.search(r"(?:^|&)file=[^&]*?(\.[a-z]+)(?:&|$)", parts.query)
        return "workspace" + (match.group(1) if match else "")
    for pattern, name in KINDS:
        if pattern.match(path):
            return name
    if path.startswith("/proses/ruang-kerja/"):
        return re.sub(r"^/proses/ruang-kerja/[^/]+", "/proses/ruang-kerja/*", path)
    return path


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make install` (axe-core is in package.json)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def a11y_page(browser, year_site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=year_site.url, viewport={"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


RUN_AXE = """async ([tags, thirdParty]) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  const out = [];
  for (const v of result.violations) {
    for (const node of v.nodes) {
      const impact = node.impact || v.impact;
      const target = node.target.map(String).join(' ');
      const el = node.target.length === 1 ? document.querySelector(String(node.target[0])) : null;
      const excused = thirdParty.some(([rule, within]) => rule === v.id && el && el.closest(within));
      if (!excused) {
        out.push({rule: v.id, impact, help: v.help, target, html: node.html.slice(0, 200),
                  summary: (node.failureSummary || '').split('\\n').slice(0, 3).join(' ')});
      }
    }
  }
  return out;
}"""


class Audit:
    """axe-core over the pages of one browser context; collects the blocking violations with their page."""

    def __init__(self, page: Page, source: str, who: str) -> None:
        self.page, self.source, self.who = page, source, who
        self.found: list[str] = []
        self.pages: list[str] = []

    def settle(self) -> None:
        """Wait until the page's scripts have drawn what they draw (diagrams, editors, charts)."""
        self.page.wait_for_load_state("load")
        page = self.page
        if page.locator("#diagram").count():
            page.locator("#diagram[data-rendered]").wait_for(state="attached")
        if page.locator("#ws-editor").count():
            page.locator("#ws-editor .djs-container, #ws-editor .dmn-decision-table-container, "
                         "#ws-editor .dmn-drd-container, #ws-editor .dmn-literal-expression-container"
                         ).first.wait_for(state="attached")
        page.wait_for_timeout(150)

    def check(self, label: str, shot: str | None = None) -> None:
        """Run axe at desktop and at phone width on the page as it is now (the viewport is back at desktop after)."""
        self.settle()
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(self.source)  # through the debugger protocol: the page's CSP does not apply
        url = self.page.url.split("://", 1)[1].split("/", 1)[-1]
        self.pages.append(f"/{url} ({label})")
        for width, height in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.wait_for_timeout(100)
            for v in self.page.evaluate(RUN_AXE, [TAGS, [[r, s] for r, s, _ in THIRD_PARTY]]):
                if v["impact"] in BLOCKING:
                    self.found.append(f"[{v['impact']}] {v['rule']} ({v['help']}) on {self.who} /{url} ({label}) at "
                                      f"{width}px: {v['target']}\n      {v['html']}\n      {v['summary']}")
            if shot:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                self.page.screenshot(path=str(ARTIFACTS / f"a11y_{shot}_{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})

    def crawl(self, start: str = "/", shots: dict[str, str] | None = None) -> None:
        """Visit every page reachable by links from ``start`` (one per kind of address) and check each."""
        shots = shots or {}
        base = self.page.url.split("://", 1)[0] + "://" + self.page.url.split("://", 1)[1].split("/", 1)[0]
        queue, seen = [start], {_kind(start)}
        while queue and len(self.pages) < MAX_PAGES:
            url = queue.pop(0)
            response = self.page.goto(url)
            assert response is not None and response.status < 500, (url, response and response.status)
            kind = _kind(url) or url
            self.check(f"{self.who}: {kind}", shots.get(kind))
            for href in self.page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))"):
                absolute = urljoin(self.page.url, href.split("#", 1)[0])
                if not absolute.startswith(base) or not href or href.startswith("#"):
                    continue
                relative = absolute[len(base):] or "/"
                key = _kind(relative)
                if key is not None and key not in seen:
                    seen.add(key)
                    queue.append(relative)

    def assert_clean(self) -> None:
        assert not self.found, (f"{len(self.found)} critical/serious accessibility violations on {len(self.pages)} "
                                "pages:\n  " + "\n  ".join(self.found))


ROLES = {  # demo user: what they are; screenshots of a few pages
    "budi": ("employee", {"/": "inbox_employee", "skp": "skp_page"}),
    "dewi": ("assessor", {"/team": "team"}),
    "hartono": ("assessor (Kepala Biro)", {"instance": "instance"}),
    "indah": ("Biro SDM", {"/laporan": "reports", "history": "history"}),
    "pemilik": ("process owner", {"/proses": "process_models", "workspace.bpmn": "workspace_bpmn",
                                   "workspace.dmn": "workspace_dmn", "workspace.json": "workspace_form"}),
    "admin": ("administrator", {"/admin": "admin", "/organisasi/struktur": "organisation"}),
}


@pytest.mark.parametrize("username", list(ROLES))
def test_every_page_of_a_role_has_no_serious_violation(a11y_page: Page, axe_source: str, username: str) -> None:
    who, shots = ROLES[username]
    login(a11y_page, username)
    audit = Audit(a11y_page, axe_source, f"{username} ({who})")
    audit.crawl("/", shots)
    print(f"\n{username}: {len(audit.pages)} pages\n  " + "\n  ".join(audit.pages))
    assert len(audit.pages) >= 5, audit.pages  # the crawl found the role's pages
    audit.assert_clean()


FORMS = ["smk_skp_a.schema.json", "smk_realisasi.schema.json", "smk_nilai_c.schema.json", "smk_putuskan_skp.schema.json",
         "smk_rencana_pembinaan.schema.json"]


def test_forms_errors_menus_and_pages_without_login(a11y_page: Page, axe_source: str) -> None:
    """The login page; the drafting form with rows added (row buttons named, a move announced); the review form;
    the Matriks Peran Hasil form sent back with its error summary (a missing list, then errors inside a row); the
    phone menu opened; the monitoring and assessment forms in the form editor's preview; error pages."""
    page = a11y_page
    audit = Audit(page, axe_source, "anonymous")
    page.goto("/login")
    audit.check("login page", "login")

    def first_task(username: str) -> None:
        page.context.clear_cookies()
        login(page, username)
        audit.who = username
        page.goto(page.eval_on_selector_all("main a[href^='/tasks/']", "as => as.map(a => a.getAttribute('href'))")[0])

    first_task("bambang")
    for _ in range(2):
        page.get_by_role("button", name=re.compile("Tambah baris: RHK utama")).click()
    audit.check("drafting form (Susun SKP) with two rows", "drafting_form")
    # The row buttons name their row; a move is announced to screen readers.
    rows = page.locator("fieldset[data-array='rhk_utama'] tbody.row-item")
    up = rows.nth(1).get_by_role("button", name="Pindahkan baris 2 RHK utama ke atas")
    page.locator('[name="rhk_utama[1][rhk]"]').fill("Baris yang naik")
    up.click()
    assert page.locator('[name="rhk_utama[0][rhk]"]').input_value() == "Baris yang naik"
    expect(page.locator("#row-live")).to_have_text("RHK utama: baris dipindah ke urutan 1 dari 2")
    assert page.locator("#row-live").get_attribute("aria-live") == "polite"
    assert rows.nth(0).get_by_role("button", name="Hapus baris 1 RHK utama").count() == 1
    first_task("hartono")
    audit.check("review form (Tinjau SKP)", "review_form")
    first_task("yulia")
    page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
    page.wait_for_load_state()
    summary = page.locator("#form-errors")
    assert summary.is_visible()
    assert summary.get_by_role("link").all_inner_texts() == ["Pembagian peran — Wajib diisi"]
    audit.check("Matriks Peran Hasil sent back with its error summary", "form_errors")
    # An error inside a row is listed with its row, and its link puts the focus on the field.
    page.get_by_role("button", name=re.compile("Tambah baris")).first.click()
    page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
    page.wait_for_load_state()
    links = summary.get_by_role("link")
    print(links.all_inner_texts())
    assert links.count() >= 1 and all(t.startswith("Pembagian peran, baris 1: ") for t in links.all_inner_texts())
    links.first.click()
    assert page.evaluate("document.activeElement.closest('.row-item') !== null")
    audit.check("Matriks Peran Hasil with errors in a row")
    page.set_viewport_size({"width": 390, "height": 844})
    open_menu(page)
    audit.check("phone menu opened")
    # The monitoring and assessment forms (no task of theirs is open in the simulated 2024): through the form
    # editor's preview, which is the same renderer as the task page.
    page.context.clear_cookies()
    login(page, "pemilik")
    audit.who = "pemilik (form previews)"
    for form in FORMS:
        assert (ROOT / "bpmn" / "smk" / form).is_file(), form
        page.goto(f"/proses/ruang-kerja/bpmn~smk?file={form}")
        page.locator("#fe-preview .field").first.wait_for()
        audit.check(f"form preview {form}")
    # The English pages: the language button then reads "Ganti ke Bahasa Indonesia".
    page.goto("/proses")
    page.get_by_test_id("lang-switch").first.click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_role("button", name="Ganti ke Bahasa Indonesia").count() >= 1
    audit.check("Process models in English")
    # A unit type-ahead open with an answer highlighted: the detail (code, unit above) on the blue row is read too.
    page.context.clear_cookies()
    login(page, "indah")
    audit.who = "indah (unit picker)"
    page.goto("/laporan")
    page.locator("#r-unit").fill("biro")
    page.locator("#r-unit-list li[role='option']").first.wait_for()
    page.locator("#r-unit").press("ArrowDown")
    highlighted = page.locator("#r-unit-list li.active")
    expect(highlighted).to_have_count(1)
    # axe leaves text over a floating list "to review", so the detail's contrast on the blue row is measured here.
    assert page.evaluate(TEXT_CONTRAST, "#r-unit-list li.active .text-body-secondary") >= 4.5
    assert page.evaluate(TEXT_CONTRAST, "#r-unit-list li.active") >= 4.5
    audit.check("unit picker open, an answer highlighted", "unit_picker")
    for url in ("/tasks/does-not-exist", "/instances/999999", "/skp/999999"):
        response = page.goto(url)
        assert response is not None and response.status in (403, 404), (url, response and response.status)
        audit.check(f"error page {response.status}")
    audit.assert_clean()


# WCAG's colour arithmetic, shared by the two measurements below: parse a computed colour to [r, g, b, alpha],
# relative luminance, contrast ratio.
COLOUR_JS = """
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
"""

TEXT_CONTRAST = """(selector) => {""" + COLOUR_JS + """
  const el = document.querySelector(selector);
  let bg = null;  // the nearest opaque background, the element's own first
  for (let node = el; node && !bg; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c && c[3] >= 1) bg = c;
  }
  const [r, g, b, a] = parse(getComputedStyle(el).color);
  return ratio([r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)], bg);
}"""


FOCUS_RING = """() => {""" + COLOUR_JS + """
  // The colours behind the ring: the element's parent and up (a gradient counts with each of its colours).
  const behind = (el) => {
    let layers = [];
    for (let node = el.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage.includes('gradient')) {
        return (style.backgroundImage.match(/rgba?\\([^)]+\\)/g) || []).map(parse);
      }
      const bg = parse(style.backgroundColor);
      if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    let colour = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
      colour = [r * a + colour[0] * (1 - a), g * a + colour[1] * (1 - a), b * a + colour[2] * (1 - a)];
    }
    return [colour];
  };
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = parse(style.outlineColor);
  const width = parseFloat(style.outlineWidth);
  const worst = style.outlineStyle === 'none' || !ring ? 0 : Math.min(...behind(el).map((bg) => ratio(ring, bg)));
  return {what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || el.value || '').trim().slice(0, 40),
          ring: style.outlineColor, width, ratio: Math.round(worst * 100) / 100};
}"""


def test_the_focus_ring_reaches_3_to_1_on_every_background(a11y_page: Page) -> None:
    """Tab through pages with the dark bar, cards, the form footer, tables and the SKP page: each focused element
    has a ring of at least 2 px whose colour reaches 3:1 against what is behind it (WCAG 1.4.11)."""
    page = a11y_page
    login(page, "dewi")
    pages = ["/", "/team", "/notifications", "/akun"]
    page.goto("/team")
    skp = page.eval_on_selector_all("main a[href^='/skp/']", "as => as.map(a => a.getAttribute('href'))")
    pages += skp[:1]
    weak, seen = [], 0
    for url in pages:
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(url)
            for _ in range(45):
                page.keyboard.press("Tab")
                ring = page.evaluate(FOCUS_RING)
                if ring is None:
                    continue
                seen += 1
                if ring["ratio"] < 3 or ring["width"] < 2:
                    weak.append(f"{url} at {width}px: {ring}")
    assert seen > 100, seen
    assert not weak, "focus rings under 3:1 or thinner than 2 px:\n  " + "\n  ".join(dict.fromkeys(weak))
