"""The curve check reads proposals, unit ratings and the unit's decision from the results table (``subject_result``):
its cost does not grow with the employees outside the unit, the old audit events are backfilled once, and Tim saya
reads the same rows. A model deployed before the unit decision's message (no ``keputusan_unit``) still gets the
check of that time, which counts the unit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import ProcessVersion
from engine.db.org import Position, Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import Instance
from engine.runtime.runner import StepContext
from engine.services import audit
from processes.operations import PROPOSAL, SMK_OPERATIONS, UNIT_RATING, backfill_results, proposals
from processes.queries import my_team
from tools.benchdb import captured_statements

PERIOD = "2023"
NOW = datetime(2023, 12, 20, 9, 0, tzinfo=UTC)
# Budi's unit, Biro Perencanaan (BRP): ratna heads it; her eight staff are rated so that the curve holds.
BRP_STAFF = {"agus": "Baik", "dewi": "Baik", "budi": "Baik", "siti": "Butuh Perbaikan", "eko": "Baik",
             "fitri": "Sangat Baik", "zainal": "Baik", "andi": "Butuh Perbaikan"}
HEADS = {"ratna": "Baik", "bambang": "Istimewa", "yulia": "Baik"}


def _planning(s: Any, user: User) -> Instance:
    version = s.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "smk_perencanaan")
                       .order_by(ProcessVersion.version.desc()).limit(1))
    inst = Instance(process_version_id=version, process_id="smk_perencanaan", subject_id=user.id, period=PERIOD,
                    business_key=f"{user.id}:{PERIOD}", status="running", state={}, started_at=NOW, updated_at=NOW)
    s.add(inst)
    s.flush()
    return inst


def _open_period(eng: Engine) -> dict[int, int]:
    """Give every employee holding a position a planning instance; return user id -> instance id."""
    with eng.session_factory.begin() as s:
        return {u.id: _planning(s, u).id for u in s.scalars(select(User).where(User.position_id.is_not(None)))}


def _hire(eng: Engine, unit_code: str, parent_code: str, n: int) -> dict[int, int]:
    """Add ``n`` staff under a position of another unit, each with a planning instance."""
    with eng.session_factory.begin() as s:
        unit = s.scalar(select(Unit).where(Unit.code == unit_code))
        parent = s.scalar(select(Position).where(Position.code == parent_code))
        assert unit is not None and parent is not None
        start = s.scalar(select(func.count(User.id))) or 0
        made = {}
        for k in range(start, start + n):
            position = Position(code=f"X-{k}", title="Staf", unit_id=unit.id, parent_id=parent.id, jenis="JA",
                                jenjang="Pelaksana")
            s.add(position)
            s.flush()
            user = User(username=f"staf{k}", full_name=f"Staf {k}", position_id=position.id)
            s.add(user)
            s.flush()
            made[user.id] = _planning(s, user).id
        return made


def _run(eng: Engine, operation: str, instance_id: int, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Run an SMK operation in its own transaction, as a service task would; return its result and how many
    statements it took, up to and including the commit."""
    with eng.session_factory() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        ctx = StepContext(s, inst, NOW, None, eng)
        with captured_statements(eng.db) as seen:
            result = SMK_OPERATIONS[operation](ctx, params, {})
            s.commit()
        return result, len(seen)


def _rate_all(eng: Engine, planning: dict[int, int], ratings: dict[int, str], decided: bool = True) -> None:
    for user_id, predikat in ratings.items():
        _run(eng, "smk_cek_kurva", planning[user_id], {"predikat": predikat, "keputusan_unit": decided})


def test_the_curve_check_costs_the_same_however_many_employees_the_other_units_have(
        smk: Engine, org: dict[str, int]) -> None:
    planning = _open_period(smk)
    for head, rating in HEADS.items():
        _run(smk, "smk_catat_predikat_unit", planning[org[head]], {"predikat_unit": rating})
    _rate_all(smk, planning, {org[u]: p for u, p in BRP_STAFF.items()})
    others = [u for u in org if u not in BRP_STAFF and u not in HEADS and u not in ("hartono", "admin", "pemilik")]
    _rate_all(smk, planning, {org[u]: "Baik" for u in others})

    def grow(total: int) -> None:
        with smk.session_factory() as s:
            have = s.scalar(select(func.count(User.id)).where(User.position_id.is_not(None))) or 0
        half = (total - have) // 2
        for unit, parent, n in (("BSD-1-1", "BSD-1-1-01", half), ("BUM-1-1", "BUM-1-1-01", total - have - half)):
            hired = _hire(smk, unit, parent, n)
            planning.update(hired)
            _rate_all(smk, planning, {user_id: "Baik" for user_id in hired})

    waiting, _ = _run(smk, "smk_cek_kurva", planning[org["budi"]], {"predikat": "Baik", "keputusan_unit": True})
    assert waiting["status"] == "menunggu" and waiting["predikat_unit"] == "Baik"
    # The unit's case finds BRP complete and fitting, and records that for each of its staff.
    assert _run(smk, "smk_ringkas_kurva", planning[org["ratna"]], {})[0]["status"] == "sesuai"
    assert _run(smk, "smk_catat_kurva_sesuai", planning[org["ratna"]], {})[0]["jumlah_pegawai"] == 8
    counts = {}
    for total in (30, 300):
        grow(total)
        result, counts[total] = _run(smk, "smk_cek_kurva", planning[org["budi"]],
                                     {"predikat": "Baik", "keputusan_unit": True})
        assert result["status"] == "sesuai", result
        assert result["distribusi"] == {"Sangat Baik": 1, "Baik": 5, "Butuh Perbaikan": 2, "Kurang/Misconduct": 0,
                                        "Sangat Kurang": 0}
    print(f"statements per curve check: {counts}")
    assert counts[30] == counts[300]


def test_a_model_from_before_the_message_still_counts_the_unit(smk: Engine, org: dict[str, int]) -> None:
    """Instances of smk_penilaian deployed before the unit decision's message pass no ``keputusan_unit`` and
    re-check daily: their check counts the unit as it did, and also finds the head's calibration."""
    planning = _open_period(smk)
    _run(smk, "smk_catat_predikat_unit", planning[org["ratna"]], {"predikat_unit": "Baik"})
    _rate_all(smk, planning, {org[u]: p for u, p in BRP_STAFF.items() if u != "budi"}, decided=False)
    result, _ = _run(smk, "smk_cek_kurva", planning[org["budi"]], {"predikat": "Baik"})
    assert result["status"] == "sesuai", result  # counted: every proposal is in and fits, no decision recorded
    assert result["distribusi"]["Baik"] == 5
    with smk.session_factory() as s:
        assert s.scalar(select(func.count(SubjectResult.id)).where(SubjectResult.kind == "smk.predikat_kurva")) == 0
    # The new check of the same employee waits for the unit's decision instead of counting.
    result, _ = _run(smk, "smk_cek_kurva", planning[org["budi"]], {"predikat": "Baik", "keputusan_unit": True})
    assert result["status"] == "menunggu"


def test_proposals_and_unit_ratings_live_in_the_results_table(smk: Engine, org: dict[str, int]) -> None:
    planning = _open_period(smk)
    _run(smk, "smk_catat_predikat_unit", planning[org["ratna"]], {"predikat_unit": "Baik"})
    _run(smk, "smk_catat_predikat_unit", planning[org["ratna"]], {"predikat_unit": "Istimewa"})  # latest wins
    _run(smk, "smk_cek_kurva", planning[org["budi"]], {"predikat": "Baik"})
    _run(smk, "smk_cek_kurva", planning[org["budi"]], {"predikat": "Sangat Baik"})
    with smk.session_factory() as s:
        brp = s.scalar(select(Unit.id).where(Unit.code == "BRP"))
        rows = {(r.kind, r.subject_id, r.unit_id): r.value for r in s.scalars(select(SubjectResult))}
        logged = [(e.kind, (e.data or {}).get("predikat") or (e.data or {}).get("predikat_unit"))
                  for e in s.scalars(select(AuditEvent).where(AuditEvent.kind.like("smk.predikat_%"))
                                     .order_by(AuditEvent.id))]
    assert rows == {(UNIT_RATING, None, brp): {"predikat_unit": "Istimewa", "kepala_id": org["ratna"]},
                    (PROPOSAL, org["budi"], brp): {"predikat": "Sangat Baik", "hasil_kerja": "", "perilaku": ""}}
    # The audit log keeps every recording, as before.
    assert logged == [(UNIT_RATING, "Baik"), (UNIT_RATING, "Istimewa"), (PROPOSAL, "Baik"), (PROPOSAL, "Sangat Baik")]


def _legacy_event(s: Any, kind: str, at: datetime, instance_id: int, **data: Any) -> None:
    """Write an event as the curve check did before the results table existed (no ``result`` key)."""
    audit.record(s, kind, at, None, instance_id=instance_id, **data)


def test_backfill_moves_the_old_audit_events_into_the_table_once(smk: Engine, org: dict[str, int]) -> None:
    planning = _open_period(smk)
    with smk.session_factory.begin() as s:
        for i, predikat in enumerate(("Baik", "Butuh Perbaikan")):  # budi's second proposal is the one that counts
            _legacy_event(s, PROPOSAL, NOW.replace(minute=i), planning[org["budi"]], subject_id=org["budi"],
                          periode=PERIOD, unit_code="BRP", predikat=predikat)
        _legacy_event(s, PROPOSAL, NOW, planning[org["siti"]], subject_id=org["siti"], periode=PERIOD,
                      unit_code="BRP", predikat="Baik")
        _legacy_event(s, PROPOSAL, NOW, planning[org["siti"]], subject_id=org["siti"], periode="2022",
                      unit_code="BRP", predikat="Sangat Baik")
        _legacy_event(s, UNIT_RATING, NOW, planning[org["ratna"]], subject_id=org["ratna"], periode=PERIOD,
                      unit_code="BRP", predikat_unit="Istimewa")
    # Recorded after the upgrade: newer than any old event, and never overwritten by the backfill.
    _run(smk, "smk_cek_kurva", planning[org["siti"]], {"predikat": "Sangat Baik"})

    with smk.session_factory.begin() as s:
        assert backfill_results(s, NOW) == 3  # budi 2023, siti 2022, the unit rating; siti 2023 is newer
    with smk.session_factory.begin() as s:
        assert backfill_results(s, NOW) == 0  # idempotent
        brp = s.scalar(select(Unit.id).where(Unit.code == "BRP"))
        assert brp is not None
        assert proposals(s, PERIOD, brp) == {org["budi"]: "Butuh Perbaikan", org["siti"]: "Sangat Baik"}
        assert proposals(s, "2022", brp) == {org["siti"]: "Sangat Baik"}
    # The unit head's step now finds the backfilled unit rating.
    result, _ = _run(smk, "smk_predikat_unit_kepala", planning[org["ratna"]], {})
    assert result["status"] == "ada" and result["predikat_unit"] == "Istimewa"


def test_tim_saya_reads_the_proposals_and_the_recorded_unit_rating(smk: Engine, org: dict[str, int]) -> None:
    planning = _open_period(smk)
    _run(smk, "smk_catat_predikat_unit", planning[org["ratna"]], {"predikat_unit": "Istimewa"})
    _rate_all(smk, planning, {org["budi"]: "Sangat Baik", org["siti"]: "Baik"})
    team = my_team(smk, org["dewi"], PERIOD)
    ratings = {m.name: m.predikat for m in team.members}
    assert ratings["Budi Santoso"] == "Sangat Baik" and ratings["Siti Aminah"] == "Baik"
    assert ratings["Zainal Arifin"] == ""  # not proposed yet
    assert team.curve is not None and team.curve.unit_predikat == "Istimewa" and team.curve.recorded
    # The whole curve unit (Biro Perencanaan, 8 staff, ratna excluded), not dewi's three: 6 not proposed yet.
    assert (team.curve.unit_name, team.curve.staff, team.curve.not_assessed) == ("Biro Perencanaan dan Keuangan", 8, 6)
    assert team.curve.team_counts["Sangat Baik"] == 1 and team.curve.team_counts["Baik"] == 1
    chosen = my_team(smk, org["dewi"], PERIOD, "Kurang").curve
    assert chosen.unit_predikat == "Kurang" and not chosen.recorded  # a chosen rating wins


# Dewi's team (budi, siti, zainal) all Baik: alone they would break a Baik unit's curve (at most 70 % Baik, at least
# one Butuh Perbaikan), but the curve unit as a whole fits it.
TEAM_ALL_BAIK = {"agus": "Butuh Perbaikan", "dewi": "Butuh Perbaikan", "budi": "Baik", "siti": "Baik", "eko": "Baik",
                 "fitri": "Sangat Baik", "zainal": "Baik", "andi": "Baik"}


def test_tim_saya_checks_the_whole_curve_unit_not_the_assessors_team(smk: Engine, org: dict[str, int]) -> None:
    planning = _open_period(smk)
    _run(smk, "smk_catat_predikat_unit", planning[org["ratna"]], {"predikat_unit": "Baik"})
    _rate_all(smk, planning, {org[u]: p for u, p in TEAM_ALL_BAIK.items()})
    curve = my_team(smk, org["dewi"], PERIOD).curve
    assert curve is not None and curve.not_assessed == 0 and curve.decided == ""
    assert curve.counts == {"Sangat Baik": 1, "Baik": 5, "Butuh Perbaikan": 2, "Kurang/Misconduct": 0,
                            "Sangat Kurang": 0}
    assert curve.team_counts["Baik"] == 3 and curve.ok, curve.problems  # the team alone: 3 of 3 Baik
    # The unit records its decision: the page says so and counts the final predikat.
    assert _run(smk, "smk_ringkas_kurva", planning[org["ratna"]], {})[0]["status"] == "sesuai"
    _run(smk, "smk_catat_kurva_sesuai", planning[org["ratna"]], {})
    decided = my_team(smk, org["dewi"], PERIOD).curve
    assert decided is not None and decided.decided == "sesuai" and decided.counts == curve.counts


def test_tim_saya_of_someone_whose_team_heads_curve_units_shows_no_curve(smk: Engine, org: dict[str, int]) -> None:
    """Hartono assesses the three Kepala Biro: each heads a curve unit, so their ratings follow their units'."""
    _open_period(smk)
    team = my_team(smk, org["hartono"], PERIOD)
    assert {m.name.split()[0] for m in team.members} >= {"Ratna"} and team.curve is None
