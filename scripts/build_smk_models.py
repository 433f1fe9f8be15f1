"""Generate the SMK bundle in bpmn/smk/ (BPMN with diagram layout, DMN and forms).

Run: .venv/bin/python scripts/build_smk_models.py — the generated files are committed. Each process lives in its
own module under scripts/smk_models/; see docs/modelling.md for how the models work and how to change them.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from smk_models import (  # noqa: E402
    integrasi,
    pemantauan,
    penilaian,
    perencanaan,
    periode,
    predikat_unit,
    tindak_lanjut,
)

OUT = HERE.parent / "bpmn" / "smk"
MODULES = [periode, perencanaan, pemantauan, predikat_unit, penilaian, tindak_lanjut, integrasi]


def files() -> dict[str, str]:
    """Return every file of the bundle: name -> text."""
    out: dict[str, str] = {}
    for module in MODULES:
        for name, content in module.build().items():
            if name in out and out[name] != content:
                raise ValueError(f"two models write different {name}")
            out[name] = content
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    generated = files()
    for stale in OUT.iterdir():
        if stale.is_file() and stale.name not in generated:
            stale.unlink()
    for name, content in generated.items():
        (OUT / name).write_text(content, encoding="utf-8")
    print(f"wrote {len(generated)} files to {OUT}")


if __name__ == "__main__":
    main()
