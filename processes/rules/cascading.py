"""Check that a team's RHK cascade from their superior's RHK (PermenPANRB 6/2022).

Every subordinate RHK names the superior RHK it supports. Superior RHK nobody supports are gaps;
subordinate RHK that name no (known) superior RHK are orphans. In direct cascading the
quantitative targets split from one superior target must add up to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from processes.rules.errors import RuleInputError
from processes.rules.rounding import to_decimal

LANGSUNG = "langsung"
TIDAK_LANGSUNG = "tidak_langsung"


@dataclass(frozen=True)
class RhkAtasan:
    """A superior's RHK, with the quantitative target when it has one."""

    id: str
    target: Decimal | None = None


@dataclass(frozen=True)
class RhkBawahan:
    """A subordinate's RHK and the superior RHK it supports (`mendukung`)."""

    id: str
    mendukung: str | None
    cascading: str = TIDAK_LANGSUNG
    target: Decimal | None = None
    pegawai: str = ""


@dataclass(frozen=True)
class SelisihTarget:
    """A superior target that the directly cascaded subordinate targets do not add up to."""

    rhk_atasan: str
    target: Decimal
    jumlah_target_bawahan: Decimal
    selisih: Decimal


@dataclass(frozen=True)
class HasilCascading:
    """Gaps, orphans and target mismatches; ok when there are none."""

    ok: bool
    celah: tuple[str, ...]
    yatim: tuple[tuple[str, str], ...]  # (subordinate RHK id, reason)
    selisih_target: tuple[SelisihTarget, ...]


def rhk_atasan_from_dict(data: Mapping[str, Any], where: str) -> RhkAtasan:
    """Build a superior RHK from workflow data."""
    if not isinstance(data, Mapping) or not data.get("id"):
        raise RuleInputError(f"{where}.id", "is required")
    target = data.get("target")
    value = None if target is None else to_decimal(target, f"{where}.target", minimum=0)
    return RhkAtasan(str(data["id"]), value)


def rhk_bawahan_from_dict(data: Mapping[str, Any], where: str) -> RhkBawahan:
    """Build a subordinate RHK from workflow data."""
    if not isinstance(data, Mapping) or not data.get("id"):
        raise RuleInputError(f"{where}.id", "is required")
    cascading = data.get("cascading", TIDAK_LANGSUNG)
    if cascading not in (LANGSUNG, TIDAK_LANGSUNG):
        raise RuleInputError(f"{where}.cascading",
                             f"unknown value {cascading!r}; expected langsung or tidak_langsung")
    target = data.get("target")
    mendukung = data.get("mendukung")
    return RhkBawahan(
        id=str(data["id"]),
        mendukung=str(mendukung) if mendukung else None,
        cascading=cascading,
        target=None if target is None else to_decimal(target, f"{where}.target", minimum=0),
        pegawai=str(data.get("pegawai", "")),
    )


def cek_cascading(rhk_atasan: Sequence[RhkAtasan], rhk_bawahan: Sequence[RhkBawahan]) -> HasilCascading:
    """Report gaps, orphans and direct-cascading target sums that do not match."""
    for field, items, kind in (("rhk_atasan", rhk_atasan, RhkAtasan), ("rhk_bawahan", rhk_bawahan, RhkBawahan)):
        if isinstance(items, str) or not isinstance(items, Sequence):
            raise RuleInputError(field, "must be a list")
        for index, item in enumerate(items):
            if not isinstance(item, kind):
                raise RuleInputError(f"{field}[{index}]", f"must be a {kind.__name__}, got {type(item).__name__}")
    ids = [r.id for r in rhk_atasan]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuleInputError("rhk_atasan", f"duplicate RHK id(s) {', '.join(duplicates)}")
    atasan = {r.id: r for r in rhk_atasan}
    orphans = []
    supported: dict[str, list[RhkBawahan]] = {r.id: [] for r in rhk_atasan}
    for rhk in rhk_bawahan:
        if rhk.mendukung is None:
            orphans.append((rhk.id, "tidak menyebut RHK atasan yang didukung"))
        elif rhk.mendukung not in atasan:
            orphans.append((rhk.id, f"mendukung RHK atasan {rhk.mendukung!r} yang tidak ada"))
        else:
            supported[rhk.mendukung].append(rhk)
    gaps = tuple(rid for rid, items in supported.items() if not items)
    mismatches = []
    for rid, items in supported.items():
        direct = [r for r in items if r.cascading == LANGSUNG]
        target = atasan[rid].target
        if not direct or target is None:
            continue
        missing = [r.id for r in direct if r.target is None]
        if missing:
            raise RuleInputError("rhk_bawahan.target",
                                 f"direct cascading of {rid} needs a target on {', '.join(missing)}")
        total = sum((r.target for r in direct if r.target is not None), Decimal(0))
        if total != target:
            mismatches.append(SelisihTarget(rid, target, total, total - target))
    return HasilCascading(
        ok=not (gaps or orphans or mismatches),
        celah=gaps,
        yatim=tuple(orphans),
        selisih_target=tuple(mismatches),
    )
