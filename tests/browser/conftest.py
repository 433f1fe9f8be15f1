"""Browser fixtures: Debian's Chromium driven by Playwright, against the app served on a free local port.

Chromium comes from apt-get (never ``playwright install``); each test gets a fresh SQLite database with the
demo organisation and every built-in bundle of ``bpmn/`` (demo, rules, SMK) deployed, and saves a screenshot of
its last page to tests/artifacts/ (a CI artifact, git-ignored). The database is built once per session (the
migrations take seconds) and copied for each test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.core import Engine
from engine.db.org import User
from engine.runtime.clock import FixedClock
from engine.services.deployments import deploy_builtin
from processes.demo import load_demo
from processes.extension import extensions
from tests.simulated_year import NOW, simulated_sqlite
from webapp import create_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "demo12345"


def _ensure_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("Debian's chromium is missing and cannot be installed here (needs apt-get as root)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _ensure_chromium()
    from playwright.sync_api import expect, sync_playwright

    # The contexts wait up to 20 s for an action (set_default_timeout); assertions wait as long, not Playwright's
    # 5 s: on a loaded CI machine a form post, its redirect and the next page took longer than 5 s (the language
    # switch, 2 December), and the page was right, only late.
    expect.set_options(timeout=20_000)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Site:
    url: str
    engine: Engine
    org: dict[str, int]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A database with the schema, the demo organisation and the built-in bundles, built once per session
    on a copy of the session's migrated database (tests/conftest.py)."""
    path = tmp_path_factory.mktemp("browser-db") / "template.sqlite"
    shutil.copyfile(sqlite_template, path)
    engine = Engine(f"sqlite:///{path}", extensions=extensions(), clock=FixedClock())
    load_demo(engine)
    with engine.session_factory() as s:
        owner = s.scalar(select(User.id).where(User.username == "pemilik"))
    deploy_builtin(engine, ROOT / "bpmn", owner)
    engine.dispose()
    return path


@contextmanager
def serve(engine: Engine, instance_path: Path) -> Iterator[Site]:
    """Serve the app on a free port of 127.0.0.1 over ``engine``; yield its base URL, engine and users."""
    with engine.session_factory() as s:
        org = {u.username: u.id for u in s.scalars(select(User))}
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-tests", "INSTANCE_PATH": str(instance_path),
                      "DATABASE_URL": engine.database_url}, engine=engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", engine, org)
    finally:
        server.shutdown()
        thread.join(5)
        engine.dispose()


@pytest.fixture
def site(tmp_path: Path, template_db: Path) -> Iterator[Site]:
    """Serve the app on 127.0.0.1 with a fresh copy of the database; yield its base URL, engine and users."""
    shutil.copyfile(template_db, tmp_path / "browser.sqlite")
    engine = Engine(f"sqlite:///{tmp_path / 'browser.sqlite'}", extensions=extensions(), clock=FixedClock())
    with serve(engine, tmp_path / "instance") as served:
        yield served


def simulated_engine(tmp_path_factory: pytest.TempPathFactory, folder: str) -> tuple[Engine, Path]:
    """An engine on a private copy of the simulated year 2023 (tests/simulated_year.py), its clock at NOW, and the
    folder the copy is in."""
    path = tmp_path_factory.mktemp(folder) / "sim.sqlite"
    shutil.copyfile(simulated_sqlite(tmp_path_factory), path)
    clock = FixedClock()
    clock.set(NOW)
    return Engine(f"sqlite:///{path}", extensions=extensions(), clock=clock), path.parent


@pytest.fixture(scope="module")
def year_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The simulated year 2023 served on a free port, one copy per test module."""
    engine, folder = simulated_engine(tmp_path_factory, "year-site")
    with serve(engine, folder / "instance") as served:
        yield served


@pytest.fixture
def page(browser, site: Site, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context per test; its last page is saved to tests/artifacts/<test>.png."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


def watch_problems(page) -> list[str]:
    """Collect the page's script errors and Content Security Policy violations from now on (a missing favicon is
    neither); the test asserts the list stays empty."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    return problems


def shot(page, name: str) -> None:
    """A full-page screenshot in tests/artifacts/<name>.png (looked at when a page changes)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_no_sideways_scroll(page, what: str = "the page") -> None:
    """The page fits its viewport's width (a phone never scrolls it sideways)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{what} scrolls sideways by {overflow} px"


def login(page, username: str) -> None:
    """Log in through the form, as a person would."""
    page.goto("/login")
    page.get_by_label(re.compile("Nama pengguna|Username")).fill(username)
    page.get_by_label(re.compile("Kata sandi|Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Masuk|Log in)$")).click()
    page.wait_for_url(re.compile(r"/$"))


def open_menu(page, name: str | re.Pattern[str] = re.compile("^(Buka menu|Open menu)$")) -> None:
    """Open the phone-width menu (its button named ``name``: either language unless a test requires one) and wait
    until Bootstrap's collapse has finished opening: a click on an item while the menu still slides open can land
    between the press and the release and do nothing."""
    page.get_by_role("button", name=name).click()
    page.locator("#mainnav.show:not(.collapsing)").wait_for()


def logout(page) -> None:
    page.context.clear_cookies()
