"""Organisation lookups remembered for one transaction (engine.db.base.lookups, issue 15): the hot path asks for a
subject's superiors and a user's groups several times per completion; the answers are read once, and forgotten as
soon as the organisation changes in the session, at commit and at rollback."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import group_names, superior_ids
from engine.core import Engine
from engine.db.base import lookups
from engine.db.org import ActingAssignment, Group, GroupMember, Position, User
from tests.statements import recorded

DEWI_POSITION = "BRP-1-1-01"  # budi's superior position (held by dewi)


def _acting(s: Session, user_id: int) -> ActingAssignment:
    position = s.scalar(select(Position.id).where(Position.code == DEWI_POSITION))
    assert position is not None
    return ActingAssignment(position_id=position, user_id=user_id, kind="Plt", starts_on=date(2024, 1, 1),
                            ends_on=date(2024, 12, 31), created_at=datetime(2024, 1, 1, tzinfo=UTC))


def test_superiors_are_read_once_per_transaction(demo_deployed: Engine, org: dict[str, int]) -> None:
    with demo_deployed.session_factory() as s:
        s.get(User, org["budi"])
        with recorded(demo_deployed.db) as seen:
            first = superior_ids(s, org["budi"])
            read = len(seen)
            assert superior_ids(s, org["budi"]) == first == [org["dewi"]]
        assert read >= 1 and len(seen) == read  # the second answer costs no statement


def test_a_pending_or_flushed_change_to_the_organisation_is_seen(demo_deployed: Engine, org: dict[str, int]) -> None:
    with demo_deployed.session_factory.begin() as s:
        assert superior_ids(s, org["budi"]) == [org["dewi"]]
        s.add(_acting(s, org["agus"]))  # not flushed yet: the cache must not answer from before it
        assert set(superior_ids(s, org["budi"])) == {org["dewi"], org["agus"]}
        s.flush()
        assert set(superior_ids(s, org["budi"])) == {org["dewi"], org["agus"]}
        groups = group_names(s, org["budi"])
        extra = Group(name="Lookup test group", description="")
        s.add(extra)
        s.flush()
        s.add(GroupMember(group_id=extra.id, user_id=org["budi"]))
        s.flush()  # flushed before the next lookup: forgotten by the flush itself
        assert set(group_names(s, org["budi"])) == set(groups) | {"Lookup test group"}
        s.rollback()
    with demo_deployed.session_factory() as s:  # what the rolled back transaction cached is gone with it
        assert superior_ids(s, org["budi"]) == [org["dewi"]]
        assert "Lookup test group" not in group_names(s, org["budi"])


def test_the_cache_ends_with_the_transaction(demo_deployed: Engine, org: dict[str, int]) -> None:
    with demo_deployed.session_factory() as s:  # reading: another session writes meanwhile
        assert superior_ids(s, org["budi"]) == [org["dewi"]]
        with demo_deployed.session_factory.begin() as other:
            other.add(_acting(other, org["agus"]))
        s.commit()  # ends the reading transaction: a new one reads the organisation as it is now
        assert set(superior_ids(s, org["budi"])) == {org["dewi"], org["agus"]}


def test_only_the_factorys_sessions_cache(demo_deployed: Engine) -> None:
    with Session(demo_deployed.db) as plain:
        assert lookups(plain) is None
    with demo_deployed.session_factory() as s:
        assert lookups(s) == {}
