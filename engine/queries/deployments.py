"""Read-only views of deployments for process owners: processes and decisions with their versions, one
deployment with its files, and a stored file's bytes.

Only members of "Pemilik Proses" and administrators may read these; every service checks that itself, so the
web layer's guard is not the only one. Nothing here writes; deploying stays ``engine.deployments.deploy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.deploy import DecisionVersion, Deployment, DeploymentFile, ProcessVersion
from engine.db.org import User
from engine.db.runtime import Instance
from engine.errors import N_, NotFound, PermissionDenied
from engine.services.inbox import Page

# Groups that may see and deploy process models.
NOT_FOUND = N_("Deployment not found")


@dataclass
class ProcessVersionRow:
    id: int
    process_id: str
    version: int
    name: str
    filename: str
    startable: bool  # False: started by a message (or signal), not by a person
    deployment_id: int
    deployment_name: str
    deployed_by: str
    deployed_at: datetime
    instances: int = 0


@dataclass
class ProcessGroup:
    """One process id with every deployed version, latest first."""

    process_id: str
    name: str
    versions: list[ProcessVersionRow] = field(default_factory=list)

    @property
    def latest(self) -> ProcessVersionRow:
        return self.versions[0]


@dataclass
class DecisionVersionRow:
    decision_id: str
    version: int
    filename: str
    deployment_id: int
    deployment_name: str
    deployed_by: str
    deployed_at: datetime


@dataclass
class DecisionGroup:
    decision_id: str
    versions: list[DecisionVersionRow] = field(default_factory=list)


@dataclass
class FileRow:
    id: int
    filename: str
    size: int
    sha256: str
    included: bool  # copied in from an earlier deployment to resolve a reference, not uploaded

    @property
    def is_bpmn(self) -> bool:
        return self.filename.endswith(".bpmn")


@dataclass
class DeploymentDetail:
    id: int
    name: str
    bundle_hash: str
    deployed_by: str
    deployed_at: datetime
    note: str
    files: list[FileRow]
    processes: list[ProcessVersionRow]
    decisions: list[DecisionVersionRow]

    @property
    def bpmn_files(self) -> list[FileRow]:
        return [f for f in self.files if f.is_bpmn]


@dataclass
class StoredFile:
    deployment_id: int
    filename: str
    sha256: str
    content: bytes


def may_manage_models(session: Session, user_id: int | None) -> bool:
    """Tell whether a user may see and deploy process models: process owners and administrators."""
    if user_id is None:
        return False
    user = session.get(User, user_id)
    if user is None or not user.active:
        return False
    return in_role(session, user_id, LANES.roles.model_managers)


def _require(session: Session, actor_id: int) -> None:
    if not may_manage_models(session, actor_id):
        raise PermissionDenied("models.owner_required", N_("Only process owners and administrators may open this"))


def _clamp(page: int, per_page: int) -> tuple[int, int]:
    return max(1, page), max(1, min(per_page, 100))


def _instance_counts(session: Session, version_ids: list[int]) -> dict[int, int]:
    """Instances per process version, counted by the database (one GROUP BY, no rows loaded)."""
    if not version_ids:
        return {}
    rows = session.execute(select(Instance.process_version_id, func.count(Instance.id))
                           .where(Instance.process_version_id.in_(version_ids))
                           .group_by(Instance.process_version_id))
    return {vid: int(n) for vid, n in rows}


def _process_rows(session: Session, *where: ColumnElement[bool]) -> list[ProcessVersionRow]:
    rows = session.execute(
        select(ProcessVersion, Deployment.name, Deployment.deployed_by, Deployment.deployed_at)
        .join(Deployment, Deployment.id == ProcessVersion.deployment_id)
        .where(*where)
        .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())).all()
    result = [ProcessVersionRow(pv.id, pv.process_id, pv.version, pv.name, pv.filename, pv.startable,
                                pv.deployment_id, dname, dby, dat) for pv, dname, dby, dat in rows]
    counts = _instance_counts(session, [r.id for r in result])
    for row in result:
        row.instances = counts.get(row.id, 0)
    return result


def _decision_rows(session: Session, *where: ColumnElement[bool]) -> list[DecisionVersionRow]:
    rows = session.execute(
        select(DecisionVersion, Deployment.name, Deployment.deployed_by, Deployment.deployed_at)
        .join(Deployment, Deployment.id == DecisionVersion.deployment_id)
        .where(*where)
        .order_by(DecisionVersion.decision_id, DecisionVersion.version.desc())).all()
    return [DecisionVersionRow(dv.decision_id, dv.version, dv.filename, dv.deployment_id, dname, dby, dat)
            for dv, dname, dby, dat in rows]


def list_processes(engine: Engine, actor_id: int, page: int = 1, per_page: int = 20) -> Page:
    """One page of process ids (alphabetical), each with all its versions, latest first, and instance counts.

    A page past the end is the last page."""
    page, per_page = _clamp(page, per_page)
    with engine.session_factory() as session:
        _require(session, actor_id)
        total = session.scalar(select(func.count(distinct(ProcessVersion.process_id)))) or 0
        page = min(page, max(1, -(-total // per_page)))
        ids = list(session.scalars(select(ProcessVersion.process_id).distinct()
                                   .order_by(ProcessVersion.process_id)
                                   .offset((page - 1) * per_page).limit(per_page)))
        groups: dict[str, ProcessGroup] = {}
        for row in _process_rows(session, ProcessVersion.process_id.in_(ids)) if ids else []:
            groups.setdefault(row.process_id, ProcessGroup(row.process_id, row.name)).versions.append(row)
        return Page([groups[i] for i in ids if i in groups], page, per_page, total)


def list_decisions(engine: Engine, actor_id: int, page: int = 1, per_page: int = 20) -> Page:
    """One page of DMN decision ids (alphabetical), each with all its versions, latest first."""
    page, per_page = _clamp(page, per_page)
    with engine.session_factory() as session:
        _require(session, actor_id)
        total = session.scalar(select(func.count(distinct(DecisionVersion.decision_id)))) or 0
        page = min(page, max(1, -(-total // per_page)))
        ids = list(session.scalars(select(DecisionVersion.decision_id).distinct()
                                   .order_by(DecisionVersion.decision_id)
                                   .offset((page - 1) * per_page).limit(per_page)))
        groups: dict[str, DecisionGroup] = {}
        for row in _decision_rows(session, DecisionVersion.decision_id.in_(ids)) if ids else []:
            groups.setdefault(row.decision_id, DecisionGroup(row.decision_id)).versions.append(row)
        return Page([groups[i] for i in ids if i in groups], page, per_page, total)


def get_deployment(engine: Engine, actor_id: int, deployment_id: int) -> DeploymentDetail:
    """One deployment: who deployed it and when, its files (sizes, not contents), what versions it defines."""
    with engine.session_factory() as session:
        _require(session, actor_id)
        deployment = session.get(Deployment, deployment_id)
        if deployment is None:
            raise NotFound("deployment.not_found", NOT_FOUND)
        files = [FileRow(fid, fname, int(size or 0), sha, bool(included)) for fid, fname, size, sha, included in
                 session.execute(select(DeploymentFile.id, DeploymentFile.filename,
                                        func.length(DeploymentFile.content), DeploymentFile.sha256,
                                        DeploymentFile.included)
                                 .where(DeploymentFile.deployment_id == deployment_id)
                                 .order_by(DeploymentFile.included, DeploymentFile.filename))]
        return DeploymentDetail(
            deployment.id, deployment.name, deployment.bundle_hash, deployment.deployed_by,
            deployment.deployed_at, deployment.note or "", files,
            _process_rows(session, ProcessVersion.deployment_id == deployment_id),
            _decision_rows(session, DecisionVersion.deployment_id == deployment_id))


def get_deployment_file(engine: Engine, actor_id: int, deployment_id: int, file_id: int) -> StoredFile:
    """The stored bytes of one file of a deployment (a file id of another deployment is "not found")."""
    with engine.session_factory() as session:
        _require(session, actor_id)
        row = session.get(DeploymentFile, file_id)
        if row is None or row.deployment_id != deployment_id:
            raise NotFound("deployment.file_not_found", N_("File not found"))
        return StoredFile(row.deployment_id, row.filename, row.sha256, row.content)
