"""DMN decisions pinned per instance: an instance evaluates, all its life, the decision versions in force when it
started; a deployment changes the rules of the instances that start after it.

- **Pinning.** At its first engine step an instance pins, for every decision id ever deployed, the latest
  ``DecisionVersion`` (``latest_versions``) — whichever bundle brought it: a rules-only bundle ("bpmn/rules"),
  the instance's own bundle, or any other. The pins ({decision id: decision_version id}) are kept in the stored
  workflow state (key ``decision_pins``, written by ``engine.runtime.serializer``), so no column is needed and
  they travel with the state. An instance stored before pins existed is pinned, on its next step, to the versions
  that were latest when it started (deployment time <= its start time) and keeps those.
- **Business rule tasks** evaluate the pinned version of their ``calledDecisionId``: the spec cache puts a
  ``PinnedDecision`` in place of each task's DMN engine, and it evaluates the pinned file (parsed once per
  content hash) — not the copy the process's bundle was deployed with.
- **Application functions** (model scripts and service operations calling e.g. the curve check) read the same
  pinned files: ``Runtime.advance`` makes them current (``engine.sandbox.tables``) and enters the extensions'
  ``decision_tables`` hooks, here and in the sandbox processes.

Deployments never change once written, so every cache here is keyed by immutable ids or content hashes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine.db.deploy import DecisionVersion, Deployment, DeploymentFile
from engine.sandbox.tables import RuleTables, current_tables

#: The attribute of a BpmnWorkflow (and the key of its stored state) holding {decision id: decision_version id}.
PINS = "decision_pins"


def latest_versions(session: Session, as_of: datetime | None = None) -> dict[str, int]:
    """Return {decision id: id of its latest DecisionVersion}, optionally among deployments made by ``as_of``."""
    latest = select(DecisionVersion.decision_id, func.max(DecisionVersion.version).label("v"))
    if as_of is not None:
        latest = latest.join(Deployment, Deployment.id == DecisionVersion.deployment_id) \
            .where(Deployment.deployed_at <= as_of)
    newest = latest.group_by(DecisionVersion.decision_id).subquery()
    rows = session.execute(select(DecisionVersion.decision_id, DecisionVersion.id).join(
        newest, and_(DecisionVersion.decision_id == newest.c.decision_id, DecisionVersion.version == newest.c.v)))
    return {decision_id: version_id for decision_id, version_id in rows}


def pins_of(workflow: Any) -> dict[str, int] | None:
    """Return the workflow's pins, or None when it has none yet."""
    pins = getattr(workflow, PINS, None)
    return pins if isinstance(pins, dict) else None


class DecisionStore:
    """The pinned files of instances, cached: decision_version id -> (sha256, DMN XML), pin sets -> RuleTables."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._files: dict[int, tuple[str, bytes]] = {}
        self._contents: dict[str, bytes] = {}  # one copy of each file, however many versions share it
        self._tables: OrderedDict[tuple[tuple[str, int], ...], RuleTables] = OrderedDict()
        self._lock = threading.Lock()  # guards these in-memory dicts only

    def pin(self, session: Session, workflow: Any, started_at: datetime | None) -> dict[str, int]:
        """Return the workflow's pins, pinning them now when it has none: the latest versions for a new instance
        (``started_at`` None), the versions latest at ``started_at`` for one stored before pins existed."""
        pins = pins_of(workflow)
        if pins is None:
            pins = latest_versions(session, started_at)
            setattr(workflow, PINS, pins)
        return pins

    def tables(self, session: Session, pins: Mapping[str, int]) -> RuleTables:
        """Return the pinned files of a pin set (one query for the versions not seen before)."""
        key = tuple(sorted(pins.items()))
        with self._lock:
            found = self._tables.get(key)
            if found is not None:
                self._tables.move_to_end(key)
                return found
        missing = [version_id for version_id in pins.values() if version_id not in self._files]
        if missing:
            rows = session.execute(select(DecisionVersion.id, DeploymentFile.sha256, DeploymentFile.content).join(
                DeploymentFile, and_(DeploymentFile.deployment_id == DecisionVersion.deployment_id,
                                     DeploymentFile.filename == DecisionVersion.filename))
                .where(DecisionVersion.id.in_(missing))).all()
            with self._lock:
                for version_id, sha, content in rows:
                    data = self._contents.setdefault(sha, bytes(content))
                    self._files[version_id] = (sha, data)
        lost = sorted(d for d, v in pins.items() if v not in self._files)
        if lost:
            raise LookupError(f"the pinned versions of the decisions {lost} are not stored")
        tables = RuleTables({decision_id: self._files[version_id] for decision_id, version_id in pins.items()})
        with self._lock:
            self._tables[key] = tables
            while len(self._tables) > self._size:
                self._tables.popitem(last=False)
        return tables


_engines: OrderedDict[tuple[str, str], Any] = OrderedDict()
_engines_lock = threading.Lock()
_MAX_ENGINES = 256


def spiff_engine(decision_id: str, sha: str, content: bytes) -> Any:
    """Return SpiffWorkflow's DMN engine for a decision of a DMN file, parsed once per content hash."""
    key = (sha, decision_id)
    with _engines_lock:
        found = _engines.get(key)
        if found is not None:
            _engines.move_to_end(key)
            return found
    # The file passed every deploy check (XSD included) when it was deployed; parse it without network or
    # entity expansion all the same.
    parser = SpiffBpmnParser()
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    parser.add_dmn_xml(root, filename=f"{decision_id}.dmn")
    if decision_id not in parser.dmn_parsers:
        raise LookupError(f"the pinned DMN file does not define the decision {decision_id!r}")
    engine = parser.get_engine(decision_id, None)
    with _engines_lock:
        _engines[key] = engine
        while len(_engines) > _MAX_ENGINES:
            _engines.popitem(last=False)
    return engine


class PinnedDecision:
    """Stands in for a business rule task's DMN engine: evaluates the version of its decision pinned for the
    instance that runs (the bundle's own copy when nothing is pinned, e.g. outside ``Runtime.advance``)."""

    def __init__(self, decision_id: str, deployed: Any) -> None:
        self.decision_id = decision_id
        self.deployed = deployed

    @property
    def decision_table(self) -> Any:
        return self.deployed.decision_table

    def engine(self) -> Any:
        tables = current_tables()
        pinned = tables.get(self.decision_id) if tables is not None else None
        if pinned is None:
            return self.deployed
        return spiff_engine(self.decision_id, *pinned)

    def decide(self, task: Any) -> Any:
        return self.engine().decide(task)

    def result(self, task: Any) -> Any:
        return self.engine().result(task)


def pin_business_rules(specs: Any) -> int:
    """Put a ``PinnedDecision`` in place of the DMN engine of every business rule task in ``specs`` (process
    specs); return how many were replaced. Idempotent."""
    replaced = 0
    for spec in specs:
        for task_spec in spec.task_specs.values():
            deployed = getattr(task_spec, "dmnEngine", None)
            if deployed is None or isinstance(deployed, PinnedDecision):
                continue
            decision_id = (getattr(task_spec, "extensions", None) or {}).get("calledDecisionId")
            if decision_id:
                task_spec.dmnEngine = PinnedDecision(str(decision_id).strip(), deployed)
                replaced += 1
    return replaced


__all__ = ["PINS", "DecisionStore", "PinnedDecision", "latest_versions", "pin_business_rules", "pins_of",
           "spiff_engine"]
