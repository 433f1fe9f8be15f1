"""The deadline rush: every employee logs in, opens the realisation task, submits it, and sees the inbox again.

Run by ``smk bench rush`` (which loads the agency, starts gunicorn and ``smk worker``, and reports), or by hand
against a server whose employees have open realisation tasks (``tools/rushdata.py``)::

    RUSH_LOGINS=logins.txt RUSH_PASSWORD=… locust -f tools/loadtest/locustfile.py --headless \\
        --host http://127.0.0.1:8000 -u 40 -r 10 -t 180s --csv rush

Each simulated user takes the next username from RUSH_LOGINS (one per line) and, after a short "reading" pause
between pages (RUSH_THINK seconds, default 0.5-1.5: the hour is compressed), goes through the pages as a browser
does (CSRF token from the form, redirects looked at, not followed blindly). A page that answers with the wrong
status, or a form that comes back instead of the redirect, counts as a failure. When no username is left the
user stops.
"""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

from locust import HttpUser, between, task
from locust.exception import StopUser

from tools.webclient import csrf_token, submit_fields, task_ids

_LOGINS = [line.strip() for line in Path(os.environ.get("RUSH_LOGINS", "logins.txt")).read_text().splitlines()
           if line.strip()]
_NEXT = iter(_LOGINS)
_LOCK = threading.Lock()
_PASSWORD = os.environ.get("RUSH_PASSWORD", "")
_THINK = [float(x) for x in os.environ.get("RUSH_THINK", "0.5-1.5").split("-")]


def next_login() -> str | None:
    with _LOCK:
        return next(_NEXT, None)


class Employee(HttpUser):
    wait_time = between(_THINK[0], _THINK[-1])

    @task
    def submit_realisation(self) -> None:
        username = next_login()
        if username is None:
            raise StopUser()
        self.client.cookies.clear()
        with self.client.get("/login", name="GET /login", catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"HTTP {page.status_code} {page.error or ''}")
                return
            token = csrf_token(page.text)
        with self.client.post("/login", data={"csrf_token": token, "username": username, "password": _PASSWORD},
                              name="POST /login", allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
                answer.failure(f"login refused: HTTP {answer.status_code} {answer.error or ''}")
                return
        with self.client.get("/", name="GET / (inbox)", catch_response=True) as inbox:
            found = task_ids(inbox.text) if inbox.status_code == 200 else []
            if not found:
                inbox.failure(f"HTTP {inbox.status_code} {inbox.error or ''}: no realisation task in the inbox")
                return
        self.wait()  # reads the inbox
        with self.client.get(f"/tasks/{found[0]}", name="GET /tasks/<id>", catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"HTTP {page.status_code} {page.error or ''}")
                return
            fields = submit_fields(page.text, {"[realisasi]": str(random.choice([3, 9, 12, 40, 95, 100]))})
        self.wait()  # types the realisation
        with self.client.post(f"/tasks/{found[0]}", data=fields, name="POST /tasks/<id> (submit)",
                              allow_redirects=False, catch_response=True) as done:
            location = done.headers.get("Location", "")
            if done.status_code != 302 or "/login" in location or found[0] in location:
                done.failure(f"not completed: HTTP {done.status_code} {location or done.error or ''}")
                return
        with self.client.get(location or "/", name="GET / (after submit)", catch_response=True) as after:
            if after.status_code != 200:
                after.failure(f"HTTP {after.status_code} {after.error or ''}")
