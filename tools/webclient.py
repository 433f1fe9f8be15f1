"""A small HTTP client that uses the web app as a browser does (standard library only): a cookie jar, the
CSRF token read from the rendered form, no automatic redirects, and the fields of a task's form.

Used by ``smk bench http`` and the production test (tests/ops); the load test (tools/loadtest) reads pages with
the same helpers.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from typing import Any

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')


@dataclass
class Page:
    status: int
    location: str
    text: str
    seconds: float  # from sending the request to the last byte of the answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None  # a redirect is an answer to look at, not to follow


class WebClient:
    """One user's browser: ``get`` and ``post`` return the status, the redirect target and the page."""

    def __init__(self, base: str, timeout: float = 60.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: list[tuple[str, str]] | None = None) -> Page:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        began = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=self.timeout) as r:
                text = r.read().decode("utf-8", "replace")
                status, location = r.status, r.headers.get("Location", "")
        except urllib.error.HTTPError as answer:  # 3xx (not followed), 4xx and 5xx are pages too
            text = answer.read().decode("utf-8", "replace")
            status, location = answer.code, answer.headers.get("Location", "")
        return Page(status, urllib.parse.urlsplit(location).path if location else "", text,
                    time.perf_counter() - began)

    def get(self, path: str) -> Page:
        return self.request(path)

    def post(self, path: str, data: list[tuple[str, str]]) -> Page:
        return self.request(path, data)

    def login(self, username: str, password: str) -> Page:
        """Log in as the login form does; raise unless the answer is the redirect into the app."""
        token = csrf_token(self.get("/login").text)
        page = self.post("/login", [("csrf_token", token), ("username", username), ("password", password)])
        if page.status != 302 or page.location.startswith("/login"):
            raise AssertionError(f"login of {username} failed: HTTP {page.status} {page.location}")
        return page


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    if not found:
        raise AssertionError("no CSRF token in the page")
    return found.group(1)


def task_ids(html: str) -> list[str]:
    """The task links of a page (the inbox), in the page's order, each once."""
    return list(dict.fromkeys(TASK_LINK.findall(html)))


class _FormFields(HTMLParser):
    """The named fields of the form that holds ``_version`` (the task form), as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.current: list[tuple[str, str]] | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a: dict[str, Any] = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = []
        elif self.current is None or "name" not in a or "disabled" in a:
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file", "checkbox", "radio"):
            self.current.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" in a:
            self.current.append((a["name"], a.get("value", "on")))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None and self.current is not None:
            self.current.append((self.textarea, self.text.strip("\n")))
            self.textarea = None
        elif tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None


def task_form(html: str) -> list[tuple[str, str]]:
    """The fields (hidden ones included) of the task form on a task page; selects are left out."""
    parser = _FormFields()
    parser.feed(html)
    for form in parser.forms:
        if any(name == "_version" for name, _ in form):
            return form
    raise AssertionError("no task form in the page")


def submit_fields(html: str, fill: dict[str, str] | None = None, action: str = "submit") -> list[tuple[str, str]]:
    """The task form's fields with each empty field whose name ends with a key of ``fill`` filled in
    (``{"[realisasi]": "12"}`` fills every row's realisation), and the Submit button."""
    fields = []
    for name, value in task_form(html):
        if not value:
            value = next((v for suffix, v in (fill or {}).items() if name.endswith(suffix)), value)
        fields.append((name, value))
    return [*fields, ("_action", action)]
