"""Store bundles: validate, store once by content hash, version each process and decision (the part of a deployment
below its scenario tests; ``engine.services.deployments`` is the service to call, the scenario tests use this to fill
their throwaway database)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core import Engine
from engine.db.deploy import DecisionVersion, Deployment, DeploymentFile, ProcessVersion
from engine.db.org import User
from engine.deploy.bundles import ParsedBundle, parse_bundle
from engine.errors import N_, NotFound
from engine.services import audit


@dataclass
class DeploymentResult:
    deployment_id: int
    created: bool
    processes: list[tuple[str, int]] = field(default_factory=list)  # (process id, version)
    decisions: list[tuple[str, int]] = field(default_factory=list)
    included: list[str] = field(default_factory=list)


def latest_file(session: Session, model: Any, id_column: str, ref: str) -> tuple[str, bytes] | None:
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
        find_process=lambda ref: latest_file(session, ProcessVersion, "process_id", ref),
        find_decision=lambda ref: latest_file(session, DecisionVersion, "decision_id", ref),
    )


def store_bundle(engine: Engine, files: Mapping[str, bytes], deployed_by: int | None, name: str = "",
                 note: str = "", audit_extra: Mapping[str, Any] | None = None) -> DeploymentResult:
    """Validate and store a bundle (no scenario tests: ``engine.services.deployments.deploy`` runs them first); an
    identical bundle deployed before is returned unchanged. ``audit_extra`` goes into the deployment's audit event."""
    with engine.session_factory.begin() as session:
        bundle = parse_against_deployed(session, files)
        existing = session.scalar(select(Deployment).where(Deployment.bundle_hash == bundle.bundle_hash))
        if existing is not None:
            revived = _revive(engine, session, existing, deployed_by, note)
            if revived is not None:  # the same files as an earlier deployment, deployed again after a change
                return revived
            return DeploymentResult(existing.id, False, versions_of(session, existing.id, ProcessVersion),
                                    versions_of(session, existing.id, DecisionVersion), sorted(bundle.included))
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
            version = next_version(session, ProcessVersion.process_id, pid, ProcessVersion.version)
            session.add(ProcessVersion(process_id=pid, version=version, name=info.name, deployment_id=deployment.id,
                                       filename=info.filename, startable=info.startable))
            result.processes.append((pid, version))
        for did, fname in sorted(bundle.decisions.items()):
            if fname in bundle.included:
                continue
            version = next_version(session, DecisionVersion.decision_id, did, DecisionVersion.version)
            session.add(DecisionVersion(decision_id=did, version=version, deployment_id=deployment.id,
                                        filename=fname))
            result.decisions.append((did, version))
        extra = dict(audit_extra or {})
        audit.record(session, "deployment.created", now, user, deployment_id=deployment.id,
                     name=deployment.name, bundle_hash=bundle.bundle_hash, processes=result.processes,
                     decisions=result.decisions, files=sorted(bundle.files), **extra)
    engine.specs.put(bundle)
    return result



def _revive(engine: Engine, session: Session, existing: Deployment, deployed_by: int | None,
            note: str) -> DeploymentResult | None:
    """Deploying again the files of an earlier deployment (a change taken back): the processes and decisions it
    defines whose latest version is another deployment's get a new version pointing at the stored files, so new
    instances follow them again. None when the deployment is still the latest for everything it defines."""
    result = DeploymentResult(existing.id, True)
    pairs: tuple[tuple[Any, Any], ...] = ((ProcessVersion, ProcessVersion.process_id),
                                          (DecisionVersion, DecisionVersion.decision_id))
    for model, id_col in pairs:
        rows: list[Any] = list(session.scalars(select(model).where(model.deployment_id == existing.id)))
        latest_of: dict[str, Any] = {}
        for row in rows:  # the newest row of each id in this deployment (revived before, it may hold several)
            ref = row.process_id if model is ProcessVersion else row.decision_id
            if ref not in latest_of or row.version > latest_of[ref].version:
                latest_of[ref] = row
        for ref, row in sorted(latest_of.items()):
            newest = session.scalar(select(func.max(model.version)).where(id_col == ref))
            if newest == row.version:
                continue
            version = (newest or 0) + 1
            if model is ProcessVersion:
                session.add(ProcessVersion(process_id=ref, version=version, name=row.name,
                                           deployment_id=existing.id, filename=row.filename, startable=row.startable))
                result.processes.append((ref, version))
            else:
                session.add(DecisionVersion(decision_id=ref, version=version, deployment_id=existing.id,
                                            filename=row.filename))
                result.decisions.append((ref, version))
    if not result.processes and not result.decisions:
        return None
    user = session.get(User, deployed_by) if deployed_by else None
    audit.record(session, "deployment.created", engine.now(), user, deployment_id=existing.id, name=existing.name,
                 bundle_hash=existing.bundle_hash, processes=result.processes, decisions=result.decisions,
                 files=sorted(f.filename for f in existing.files), redeployed=True, note=note)
    return result


def next_version(session: Session, id_col, ref: str, version_col) -> int:
    return (session.scalar(select(func.max(version_col)).where(id_col == ref)) or 0) + 1


def versions_of(session: Session, deployment_id: int, model: Any) -> list[tuple[str, int]]:
    id_col = model.process_id if model is ProcessVersion else model.decision_id
    return [(r[0], r[1]) for r in session.execute(
        select(id_col, model.version).where(model.deployment_id == deployment_id).order_by(id_col))]


def read_folder(folder: Path) -> dict[str, bytes]:
    """Read a bundle from a folder: every .bpmn, .dmn and .json file directly inside it."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in (".bpmn", ".dmn", ".json")}


def latest_version(session: Session, process_id: str) -> ProcessVersion:
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.version.desc())).first()
    if row is None:
        raise NotFound("process.not_deployed", N_("no process '%(process)s' has been deployed"), process=process_id)
    return row
