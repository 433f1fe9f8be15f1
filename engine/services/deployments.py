"""Deploy bundles: validate, store once by content hash, version each process and decision."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.deploy import DecisionVersion, Deployment, DeploymentFile, ProcessVersion
from engine.db.org import User
from engine.deploy.bundles import ParsedBundle, parse_bundle
from engine.errors import N_, DeploymentInvalid, NotFound, PermissionDenied
from engine.services import audit

MAX_OVERRIDE_REASON = 2000


class ScenariosFailed(DeploymentInvalid):
    """A scenario test of the bundle failed (one problem per failed scenario); nothing was deployed. An
    administrator may deploy anyway with a written reason (``override_reason``)."""


@dataclass
class DeploymentResult:
    deployment_id: int
    created: bool
    processes: list[tuple[str, int]] = field(default_factory=list)  # (process id, version)
    decisions: list[tuple[str, int]] = field(default_factory=list)
    included: list[str] = field(default_factory=list)


def _latest_file(session: Session, model: Any, id_column: str, ref: str) -> tuple[str, bytes] | None:
    row = session.scalars(select(model).where(getattr(model, id_column) == ref)
                          .order_by(model.version.desc())).first()
    if row is None:
        return None
    content = session.scalar(select(DeploymentFile.content).where(
        DeploymentFile.deployment_id == row.deployment_id, DeploymentFile.filename == row.filename))
    return (row.filename, content) if content is not None else None


def parse_against_deployed(session: Session, files: Mapping[str, bytes]) -> ParsedBundle:
    """Parse a bundle as deploy would: references to processes and decisions deployed earlier resolve."""
    return parse_bundle(
        files,
        find_process=lambda ref: _latest_file(session, ProcessVersion, "process_id", ref),
        find_decision=lambda ref: _latest_file(session, DecisionVersion, "decision_id", ref),
    )


def _run_scenarios(engine: Engine, files: Mapping[str, bytes], deployed_by: int | None, name: str,
                   override_reason: str) -> dict[str, object] | None:
    """Run the bundle's scenario tests (``engine.services.scenarios``) unless an identical bundle is deployed;
    raise ScenariosFailed when one fails, unless an administrator overrides with a reason. Return what the
    deployment's audit event records about them (None when the bundle has none)."""
    from engine.services import scenarios  # it deploys into its throwaway database through this module

    with engine.session_factory() as session:
        bundle = parse_against_deployed(session, files)
        if not bundle.scenarios or session.scalar(select(Deployment.id).where(
                Deployment.bundle_hash == bundle.bundle_hash)) is not None:
            return None
    report = scenarios.run_bundle(engine, files, name=name)
    summary: dict[str, object] = {"passed": sum(r.passed for r in report.results), "failed": len(report.failed),
                                  "seconds": round(report.seconds, 2)}
    if report.ok:
        return summary
    reason = override_reason.strip()[:MAX_OVERRIDE_REASON]
    if not reason or report.problems:  # a bundle whose scenarios cannot even be prepared is never overridden
        raise ScenariosFailed(report.as_problems())
    with engine.session_factory() as session:
        if deployed_by is None or not in_role(session, deployed_by, LANES.roles.admin):
            raise PermissionDenied("scenarios.override_admin_only", N_(
                "Only an administrator may deploy a bundle whose scenario tests fail"))
    summary["override"] = {"reason": reason, "failures": [str(p) for p in report.as_problems()]}
    return summary


def deploy(engine: Engine, files: Mapping[str, bytes], deployed_by: int | None, name: str = "",
           note: str = "", run_scenarios: bool = True, override_reason: str = "") -> DeploymentResult:
    """Validate and store a bundle; an identical bundle deployed before is returned unchanged.

    The bundle's scenario tests (``*.scenario.json``) run first, in a throwaway database; when one fails nothing
    is deployed (:class:`ScenariosFailed`) unless an administrator gives ``override_reason`` (audited with the
    failures, shown on the deployment page). ``run_scenarios=False`` is for the built-in bundles (their scenarios
    run in the test suite) and for the throwaway databases themselves."""
    tested = _run_scenarios(engine, files, deployed_by, name, override_reason) if run_scenarios else None
    with engine.session_factory.begin() as session:
        bundle = parse_against_deployed(session, files)
        existing = session.scalar(select(Deployment).where(Deployment.bundle_hash == bundle.bundle_hash))
        if existing is not None:
            return DeploymentResult(existing.id, False, _versions(session, existing.id, ProcessVersion),
                                    _versions(session, existing.id, DecisionVersion), sorted(bundle.included))
        user = session.get(User, deployed_by) if deployed_by else None
        now = engine.now()
        deployment = Deployment(bundle_hash=bundle.bundle_hash, name=name or ", ".join(sorted(bundle.processes)),
                                deployed_by=user.username if user else "system", deployed_at=now, note=note)
        deployment.files = [
            DeploymentFile(filename=fname, content=content, sha256=hashlib.sha256(content).hexdigest(),
                           included=fname in bundle.included)
            for fname, content in sorted(bundle.files.items())
        ]
        session.add(deployment)
        session.flush()
        result = DeploymentResult(deployment.id, True, included=sorted(bundle.included))
        for pid, info in sorted(bundle.processes.items()):
            if info.filename in bundle.included:
                continue  # a called process copied in for resolution is not a new version of it
            version = _next_version(session, ProcessVersion.process_id, pid, ProcessVersion.version)
            session.add(ProcessVersion(process_id=pid, version=version, name=info.name, deployment_id=deployment.id,
                                       filename=info.filename, startable=info.startable))
            result.processes.append((pid, version))
        for did, fname in sorted(bundle.decisions.items()):
            if fname in bundle.included:
                continue
            version = _next_version(session, DecisionVersion.decision_id, did, DecisionVersion.version)
            session.add(DecisionVersion(decision_id=did, version=version, deployment_id=deployment.id,
                                        filename=fname))
            result.decisions.append((did, version))
        extra: dict[str, Any] = {"scenarios": tested} if tested is not None else {}
        audit.record(session, "deployment.created", now, user, deployment_id=deployment.id,
                     name=deployment.name, bundle_hash=bundle.bundle_hash, processes=result.processes,
                     decisions=result.decisions, files=sorted(bundle.files), **extra)
    engine.specs.put(bundle)
    return result


def check(engine: Engine, files: Mapping[str, bytes]) -> None:
    """Run every check ``deploy`` runs on a bundle (the same resolvers for earlier deployments), storing nothing;
    raise DeploymentInvalid listing every problem."""
    with engine.session_factory() as session:
        parse_bundle(files, find_process=lambda ref: _latest_file(session, ProcessVersion, "process_id", ref),
                     find_decision=lambda ref: _latest_file(session, DecisionVersion, "decision_id", ref))


def _next_version(session: Session, id_col, ref: str, version_col) -> int:
    return (session.scalar(select(func.max(version_col)).where(id_col == ref)) or 0) + 1


def _versions(session: Session, deployment_id: int, model: Any) -> list[tuple[str, int]]:
    id_col = model.process_id if model is ProcessVersion else model.decision_id
    return [(r[0], r[1]) for r in session.execute(
        select(id_col, model.version).where(model.deployment_id == deployment_id).order_by(id_col))]


def read_folder(folder: Path) -> dict[str, bytes]:
    """Read a bundle from a folder: every .bpmn, .dmn and .json file directly inside it."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in (".bpmn", ".dmn", ".json")}


def deploy_builtin(engine: Engine, root: Path, deployed_by: int | None = None) -> list[DeploymentResult]:
    """Deploy every bundle folder under ``bpmn/``; rule tables (``rules/``) first so models can call them."""
    folders = sorted((p for p in root.iterdir() if p.is_dir() and any(p.glob("*.bpmn")) or
                      (p.is_dir() and any(p.glob("*.dmn")))), key=lambda p: (p.name != "rules", p.name))
    results = []
    for folder in folders:
        # The shipped scenarios run in the test suite (tests/bpmn/test_scenarios.py, `smk test-model bpmn/smk`).
        results.append(deploy(engine, read_folder(folder), deployed_by, name=f"bpmn/{folder.name}",
                              note="built-in models shipped with SMK Workflow", run_scenarios=False))
    return results


def latest_version(session: Session, process_id: str) -> ProcessVersion:
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.version.desc())).first()
    if row is None:
        raise NotFound("process.not_deployed", N_("no process '%(process)s' has been deployed"), process=process_id)
    return row
