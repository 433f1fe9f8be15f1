"""Cascading checks: gaps, orphans and direct-cascading target sums."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from processes.rules.cascading import LANGSUNG, RhkAtasan, RhkBawahan, cek_cascading
from processes.rules.errors import RuleInputError


def test_a_complete_cascade_is_ok() -> None:
    hasil = cek_cascading([RhkAtasan("A1", D(10))], [RhkBawahan("B1", "A1", LANGSUNG, D(6)),
                                                     RhkBawahan("B2", "A1", LANGSUNG, D(4))])
    assert hasil.ok and hasil.celah == () and hasil.yatim == () and hasil.selisih_target == ()


def test_superior_rhk_nobody_supports_is_a_gap() -> None:
    hasil = cek_cascading([RhkAtasan("A1"), RhkAtasan("A2")], [RhkBawahan("B1", "A1")])
    assert hasil.celah == ("A2",) and not hasil.ok


def test_rhk_without_or_with_an_unknown_superior_is_an_orphan() -> None:
    hasil = cek_cascading([RhkAtasan("A1")], [RhkBawahan("B1", "A1"), RhkBawahan("B2", None),
                                              RhkBawahan("B3", "A9")])
    assert hasil.yatim == (("B2", "tidak menyebut RHK atasan yang didukung"),
                           ("B3", "mendukung RHK atasan 'A9' yang tidak ada"))


def test_direct_cascading_targets_must_add_up() -> None:
    hasil = cek_cascading([RhkAtasan("A1", D(10))], [RhkBawahan("B1", "A1", LANGSUNG, D(6)),
                                                     RhkBawahan("B2", "A1", LANGSUNG, D(3))])
    [m] = hasil.selisih_target
    assert (m.rhk_atasan, m.target, m.jumlah_target_bawahan, m.selisih) == ("A1", D(10), D(9), D(-1))


def test_non_direct_cascading_does_not_split_targets() -> None:
    assert cek_cascading([RhkAtasan("A1", D(10))], [RhkBawahan("B1", "A1", target=D(99))]).ok


def test_direct_cascading_without_a_target_is_rejected() -> None:
    with pytest.raises(RuleInputError, match="rhk_bawahan.target: direct cascading of A1 needs a target"):
        cek_cascading([RhkAtasan("A1", D(10))], [RhkBawahan("B1", "A1", LANGSUNG)])


def test_duplicate_superior_ids_are_rejected() -> None:
    with pytest.raises(RuleInputError, match="rhk_atasan: duplicate RHK id"):
        cek_cascading([RhkAtasan("A1"), RhkAtasan("A1")], [])


# --- issue 16: the typed API refuses what is not a list of RHK ------------------------------------
@pytest.mark.parametrize(("atasan", "bawahan", "message"), [
    (None, [], "rhk_atasan: must be a list"),
    ([RhkAtasan("A1")], "B1", "rhk_bawahan: must be a list"),
    ([None], [], "rhk_atasan[0]: must be a RhkAtasan, got NoneType"),
    ([RhkAtasan("A1")], [RhkAtasan("B1")], "rhk_bawahan[0]: must be a RhkBawahan, got RhkAtasan"),
])
def test_the_typed_api_refuses_non_rhk(atasan: object, bawahan: object, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        cek_cascading(atasan, bawahan)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("target", [0, "0.5", 3])
def test_targets_from_zero_up_are_accepted(target: object) -> None:
    from processes.rules.cascading import rhk_atasan_from_dict, rhk_bawahan_from_dict

    assert rhk_atasan_from_dict({"id": "A", "target": target}, "a").target == D(str(target))
    assert rhk_bawahan_from_dict({"id": "B", "target": target}, "b").target == D(str(target))


@pytest.mark.parametrize(("data", "message"), [
    ({"id": "B", "target": "-0.5"}, "b.target: must not be negative, got -0.5"),
    ({"target": 1}, "b.id: is required"),
    ("B", "b.id: is required"),
])
def test_a_subordinate_rhk_without_an_id_or_with_a_negative_target_is_refused(data: object, message: str) -> None:
    from processes.rules.cascading import rhk_atasan_from_dict, rhk_bawahan_from_dict

    with pytest.raises(RuleInputError) as caught:
        rhk_bawahan_from_dict(data, "b")  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    with pytest.raises(RuleInputError) as caught:
        rhk_atasan_from_dict(data, "b")  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_cascading_results_cannot_be_changed_afterwards() -> None:
    import dataclasses

    hasil = cek_cascading([RhkAtasan("A1", D(10))], [RhkBawahan("B1", "A1", LANGSUNG, D(4))])
    for obj in (hasil, hasil.selisih_target[0], RhkAtasan("A"), RhkBawahan("B", "A")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.id = "x"  # type: ignore[misc,union-attr]
