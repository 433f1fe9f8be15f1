"""The rule package stays plain Python: no web framework, no database, no engine wiring."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import processes.rules

FORBIDDEN = ("engine", "webapp", "flask", "sqlalchemy")
REPO = Path(__file__).resolve().parents[2]


def test_importing_every_rule_module_loads_no_forbidden_package() -> None:
    code = (
        "import json, pkgutil, importlib, sys\n"
        "import processes.rules\n"
        "for m in pkgutil.iter_modules(processes.rules.__path__):\n"
        "    importlib.import_module('processes.rules.' + m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0].lower() in {FORBIDDEN!r})\n"
        "print(json.dumps(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            check=True)
    assert json.loads(result.stdout) == []


def test_no_rule_module_mentions_a_forbidden_import() -> None:
    offenders = []
    for path in Path(processes.rules.__path__[0]).glob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                if words[1].split(".")[0].lower() in FORBIDDEN:
                    offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []
