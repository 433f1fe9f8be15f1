"""Every form label reads well in either language: "Indonesian / English", or one word shared by both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = sorted((ROOT / "bpmn").glob("*/*.schema.json"))


def labels(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("title", "description") and isinstance(value, str):
                found.append(value)
            elif key == "enumNames" and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, str))
            else:
                found.extend(labels(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(labels(value))
    return found


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.name)
def test_labels_split_into_at_most_two_languages(schema: Path) -> None:
    # The web app shows the half for the current language by splitting on " / "; a third part would
    # show the whole string in both languages.
    bad = [label for label in labels(json.loads(schema.read_text())) if label.count(" / ") > 1]
    assert bad == []
