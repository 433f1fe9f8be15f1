"""Fixtures shared by every test: a clean database per test (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

import engine.services.org
from engine.core import Engine
from engine.db.org import User
from engine.runtime.clock import FixedClock
from engine.services.deployments import read_folder
from processes.extension import extensions

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "bpmn"
engine.services.org.PASSWORD_METHOD = "pbkdf2:sha256:1000"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield a URL to an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def eng(db_url: str, clock: FixedClock) -> Iterator[Engine]:
    """An Engine on a migrated, empty database."""
    e = Engine(db_url, extensions=extensions(), clock=clock)
    e.create_schema()
    yield e
    e.dispose()


@pytest.fixture
def org(eng: Engine) -> dict[str, int]:
    """Load the demo organisation; return username -> user id."""
    from processes.demo import load_demo

    load_demo(eng)
    with eng.session_factory() as s:
        return {u.username: u.id for u in s.scalars(select(User))}


@pytest.fixture
def demo_deployed(eng: Engine, org: dict[str, int]) -> Engine:
    from engine.services.deployments import deploy

    deploy(eng, read_folder(BPMN / "demo"), org["pemilik"], name="demo")
    return eng
