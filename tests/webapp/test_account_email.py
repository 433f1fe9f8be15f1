"""The e-mail preference on the account page over HTTP: stored per user, CSRF, bad input, anonymous visitors."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.core import Engine
from engine.db.org import User

from .conftest import Auth, csrf_token


def test_the_email_preference_on_the_account_page(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                  org: dict[str, int]) -> None:
    auth.login("budi")
    page = client.get("/akun").get_data(as_text=True)
    assert 'name="email" id="m-1" value="1" checked' in page
    token = csrf_token(client, "/akun")
    assert client.post("/akun/email", data={"csrf_token": token, "email": "0"}).status_code == 302
    with demo_deployed.session_factory() as s:
        assert s.get(User, org["budi"]).email_notifications is False
    assert 'name="email" id="m-0" value="0" checked' in client.get("/akun").get_data(as_text=True)
    for bad in ({"email": "maybe"}, {}):
        assert client.post("/akun/email", data={"csrf_token": token, **bad}).status_code == 422
    assert client.post("/akun/email", data={"email": "1"}).status_code == 400  # no CSRF
    with demo_deployed.session_factory() as s:
        assert s.get(User, org["budi"]).email_notifications is False
    auth.logout()
    assert client.post("/akun/email", data={"csrf_token": csrf_token(client), "email": "1"}).status_code == 302
    with demo_deployed.session_factory() as s:
        assert s.get(User, org["budi"]).email_notifications is False  # anonymous: sent to log in, nothing changed
