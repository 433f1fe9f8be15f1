"""Web fixtures: an app on the test database with the demo deployed, a client, and an `auth` helper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from webapp import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(demo_deployed: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": demo_deployed.database_url}, engine=demo_deployed)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Read the CSRF token the way a browser gets it: from a rendered form."""
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


class Auth:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, username: str, password: str = "demo12345"):
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": csrf_token(self.client)})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/")})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)
