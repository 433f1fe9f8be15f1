"""The Model proses workspace: process owners edit a deployed bundle's files as a server-side draft, validate it
with exactly the checks of a deployment, and deploy it.

- A *bundle* is the name its deployments share (``bpmn/rules``); in URLs its *key* is the name with ``/`` written
  as ``~`` (``bpmn~rules``). Its files are those of its latest deployment (files copied in from earlier
  deployments to resolve a reference are not the bundle's own).
- Each process owner has at most one draft per bundle: the files they saved, overlaid on the latest deployment.
  It stays until it is deployed or discarded (logging out keeps it).
- Every save takes the next number of the bundle's revision counter. A save names the revision its editor
  loaded; when the same file was saved by anyone (another owner, or the same owner in another tab) after that
  revision, or the bundle was deployed from the workspace after it, the save is refused (:class:`DraftConflict`,
  409) and nothing is overwritten.
- Deploying a draft is refused while one of its files was deployed with another content after its owner began
  editing it (:class:`DraftStale`): the owner keeps their version or takes the deployed one, file by file.
- Every save, validation, deployment, refusal and discard is an audit event naming the files and their SHA-256.

Only process owners (Pemilik Proses) and administrators may do any of this; every function checks it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.deploy import Deployment, DeploymentFile
from engine.db.org import User
from engine.db.workspace import WorkspaceBundle, WorkspaceDraft, WorkspaceDraftFile
from engine.deploy.bundles import MAX_FILE_BYTES, MAX_FILES
from engine.errors import N_, Conflict, DeploymentInvalid, EngineError, NotFound, PermissionDenied, Problem
from engine.services import audit, deployments, scenarios

# By file name ending, the first that matches: scenario tests (engine/deploy/scenario_files.py) before forms.
KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".scenario.json": "scenario", ".json": "form"}
MAX_NOTE = 2000


class DraftConflict(Conflict):
    """Someone saved the file (or deployed the bundle) after the editor loaded it; nothing was saved."""

    def __init__(self, by: str, at: datetime | None, revision: int, filename: str):
        super().__init__("workspace.conflict", N_(
            "%(by)s saved a newer version of %(file)s after you opened it; nothing was saved. Reload the file to "
            "see it, then make your change again"), by=by, file=filename)
        self.by, self.at, self.revision, self.filename = by, at, revision, filename


class DraftRefused(EngineError):
    """The file cannot be saved as it is (not UTF-8, too large, a bad name, too many files); nothing was saved."""

    status = 400


class DraftTooLarge(DraftRefused):
    status = 413


@dataclass
class StaleFile:
    """A file of a draft that was deployed with another content after its owner began editing it."""

    filename: str
    deployment_id: int | None
    deployed_by: str
    deployed_at: datetime | None


class DraftStale(Conflict):
    """Deploying the draft would undo a change deployed after its owner began editing these files."""

    def __init__(self, files: list[StaleFile]):
        super().__init__("workspace.stale", N_(
            "%(files)s changed in a deployment after you began editing; deploying your draft would undo that "
            "change. Keep your version or take the deployed one for each of these files first"),
            files=", ".join(f.filename for f in files))
        self.files = files


@dataclass
class DraftInfo:
    owner_id: int
    owner_name: str
    created_at: datetime
    updated_at: datetime
    files: list[tuple[str, datetime]]  # (file name, saved at)


@dataclass
class FileEntry:
    filename: str
    kind: str  # bpmn, dmn or form
    size: int
    source: str  # "draft" (the owner's saved version) or "deployed"
    new: bool = False  # a file the latest deployment does not have
    others: list[str] = field(default_factory=list)  # other owners whose drafts hold this file
    stale: bool = False


@dataclass
class BundleSummary:
    name: str
    key: str
    deployment_id: int
    deployed_by: str
    deployed_at: datetime
    files: int
    drafts: list[DraftInfo]


@dataclass
class Workspace:
    name: str
    key: str
    deployment_id: int
    deployed_by: str
    deployed_at: datetime
    revision: int
    files: list[FileEntry]
    mine: DraftInfo | None
    others: list[DraftInfo]
    stale: list[StaleFile]

    def entry(self, filename: str) -> FileEntry | None:
        return next((f for f in self.files if f.filename == filename), None)


@dataclass
class FileContent:
    filename: str
    kind: str
    content: str
    revision: int
    source: str


@dataclass
class Validation:
    files: dict[str, str]  # file name -> SHA-256 of what was checked
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def bundle_key(name: str) -> str:
    """The bundle's key in URLs: its name with ``/`` written as ``~``."""
    return name.replace("/", "~")


def kind_of(filename: str) -> str:
    return next((kind for ext, kind in KINDS.items() if filename.endswith(ext)), "")


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _require(session: Session, actor_id: int | None) -> User:
    """The actor, when they are an active process owner or administrator (as for Model proses)."""
    user = session.get(User, actor_id) if actor_id is not None else None
    if user is None or not user.active or not in_role(session, user.id, LANES.roles.model_managers):
        raise PermissionDenied("models.owner_required", N_("Only process owners and administrators may open this"))
    return user


def _latest(session: Session, key: str) -> Deployment:
    """The latest deployment of the bundle a key names (404 when no deployment has that name)."""
    row = session.scalars(select(Deployment).where(func.replace(Deployment.name, "/", "~") == key)
                          .order_by(Deployment.id.desc())).first()
    if row is None:
        raise NotFound("workspace.not_found", N_("No deployed bundle has this name"))
    return row


def _deployed_files(session: Session, deployment_id: int) -> dict[str, DeploymentFile]:
    return {f.filename: f for f in session.scalars(select(DeploymentFile).where(
        DeploymentFile.deployment_id == deployment_id, DeploymentFile.included.is_(False)))}


def _drafts(session: Session, name: str) -> list[WorkspaceDraft]:
    return list(session.scalars(select(WorkspaceDraft).where(WorkspaceDraft.bundle_name == name)
                                .order_by(WorkspaceDraft.updated_at.desc())))


def _own(session: Session, name: str, owner_id: int) -> WorkspaceDraft | None:
    return session.scalar(select(WorkspaceDraft).where(WorkspaceDraft.bundle_name == name,
                                                       WorkspaceDraft.owner_id == owner_id))


def _info(draft: WorkspaceDraft) -> DraftInfo:
    return DraftInfo(draft.owner_id, draft.owner_name, draft.created_at, draft.updated_at,
                     [(f.filename, f.saved_at) for f in draft.files])


def _stale(session: Session, draft: WorkspaceDraft | None, deployed: Mapping[str, DeploymentFile],
           latest: Deployment) -> list[StaleFile]:
    if draft is None:
        return []
    stale = []
    for f in draft.files:
        now = deployed.get(f.filename)
        current = now.sha256 if now is not None else None
        if current != f.base_sha256 and current != f.sha256:
            stale.append(StaleFile(f.filename, latest.id, latest.deployed_by, latest.deployed_at))
    return stale


def _revision(session: Session, name: str) -> WorkspaceBundle:
    """The bundle's revision counter, locked for this transaction (created on first use)."""
    row = session.scalar(select(WorkspaceBundle).where(WorkspaceBundle.name == name).with_for_update())
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = WorkspaceBundle(name=name, revision=0, deployed_revision=0)
            session.add(row)
    except IntegrityError:  # another owner's first save created it meanwhile
        row = session.scalar(select(WorkspaceBundle).where(WorkspaceBundle.name == name).with_for_update())
    assert row is not None
    return row


def _current_revision(session: Session, name: str) -> int:
    return session.scalar(select(WorkspaceBundle.revision).where(WorkspaceBundle.name == name)) or 0


def list_bundles(engine: Engine, actor_id: int) -> list[BundleSummary]:
    """Every bundle (deployment name) with its latest deployment and the drafts process owners keep of it."""
    with engine.session_factory() as session:
        _require(session, actor_id)
        latest_ids = select(func.max(Deployment.id)).group_by(Deployment.name)
        rows = session.scalars(select(Deployment).where(Deployment.id.in_(latest_ids)).order_by(Deployment.name))
        out = []
        for dep in rows:
            count = session.scalar(select(func.count(DeploymentFile.id)).where(
                DeploymentFile.deployment_id == dep.id, DeploymentFile.included.is_(False))) or 0
            out.append(BundleSummary(dep.name, bundle_key(dep.name), dep.id, dep.deployed_by, dep.deployed_at,
                                     count, [_info(d) for d in _drafts(session, dep.name)]))
        return out


def open_workspace(engine: Engine, actor_id: int, key: str) -> Workspace:
    """The bundle's files as the actor sees them (their draft over the latest deployment) and who else edits it."""
    with engine.session_factory() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        deployed = _deployed_files(session, latest.id)
        drafts = _drafts(session, latest.name)
        mine = next((d for d in drafts if d.owner_id == user.id), None)
        others = [d for d in drafts if d.owner_id != user.id]
        stale = _stale(session, mine, deployed, latest)
        stale_names = {s.filename for s in stale}
        own_files = {f.filename: f for f in mine.files} if mine else {}
        names = sorted(set(deployed) | set(own_files))
        entries = []
        for name in names:
            drafted = own_files.get(name)
            size = len(drafted.content) if drafted else len(deployed[name].content)
            entries.append(FileEntry(name, kind_of(name), size, "draft" if drafted else "deployed",
                                     new=name not in deployed,
                                     others=[d.owner_name for d in others if any(f.filename == name for f in d.files)],
                                     stale=name in stale_names))
        return Workspace(latest.name, bundle_key(latest.name), latest.id, latest.deployed_by, latest.deployed_at,
                         _current_revision(session, latest.name), entries, _info(mine) if mine else None,
                         [_info(d) for d in others], stale)


def read_file(engine: Engine, actor_id: int, key: str, filename: str) -> FileContent:
    """One file as the actor's editor loads it: their draft's version, else the deployed one."""
    with engine.session_factory() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        mine = _own(session, latest.name, user.id)
        drafted = next((f for f in mine.files if f.filename == filename), None) if mine else None
        if drafted is not None:
            content, source = drafted.content, "draft"
        else:
            stored = _deployed_files(session, latest.id).get(filename)
            if stored is None:
                raise NotFound("workspace.file_not_found", N_("The bundle has no file %(file)s"), file=filename)
            content, source = stored.content, "deployed"
        return FileContent(filename, kind_of(filename), content.decode("utf-8", errors="replace"),
                           _current_revision(session, latest.name), source)


def _check_name(filename: str) -> None:
    if (not filename or "/" in filename or "\\" in filename or filename.startswith(".") or len(filename) > 255
            or any(ord(c) < 32 for c in filename)):
        raise DraftRefused("workspace.file_name", N_(
            "%(file)s: a file name may not contain folders, control characters or start with a dot"), file=filename)
    if not kind_of(filename):
        raise DraftRefused("workspace.file_type", N_(
            "%(file)s: unsupported file type; expected .bpmn, .dmn or .json"), file=filename)


def save_file(engine: Engine, actor_id: int, key: str, filename: str, content: bytes, loaded_revision: int) -> int:
    """Save one file into the actor's draft; return the bundle's new revision.

    Refused (nothing saved) when the file was saved by anyone, or the bundle deployed from the workspace, after
    ``loaded_revision`` (:class:`DraftConflict`), when it is larger than a deployment allows, not UTF-8 text, or
    would make the bundle hold more files than a deployment allows (:class:`DraftRefused`). The content is not
    validated further: a draft may be broken while it is being edited."""
    _check_name(filename)
    if len(content) > MAX_FILE_BYTES:
        raise DraftTooLarge("workspace.file_too_large", N_(
            "%(file)s is larger than %(mib)s MiB; nothing was saved"), file=filename, mib=MAX_FILE_BYTES // 2**20)
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        raise DraftRefused("workspace.not_utf8", N_("%(file)s is not UTF-8 text; nothing was saved"),
                           file=filename) from None
    with engine.session_factory.begin() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        counter = _revision(session, latest.name)
        newer = session.execute(
            select(WorkspaceDraftFile, WorkspaceDraft.owner_name)
            .join(WorkspaceDraft, WorkspaceDraft.id == WorkspaceDraftFile.draft_id)
            .where(WorkspaceDraft.bundle_name == latest.name, WorkspaceDraftFile.filename == filename,
                   WorkspaceDraftFile.revision > loaded_revision)
            .order_by(WorkspaceDraftFile.revision.desc())).first()
        if newer is not None:
            raise DraftConflict(newer[1], newer[0].saved_at, counter.revision, filename)
        if counter.deployed_revision > loaded_revision:
            raise DraftConflict(counter.deployed_by or "?", counter.deployed_at, counter.revision, filename)
        deployed = _deployed_files(session, latest.id)
        now = engine.now()
        draft = _own(session, latest.name, user.id)
        if draft is None:
            draft = WorkspaceDraft(bundle_name=latest.name, owner_id=user.id, owner_name=user.username,
                                   created_at=now, updated_at=now)
            session.add(draft)
            session.flush()
        existing = next((f for f in draft.files if f.filename == filename), None)
        held = set(deployed) | {f.filename for f in draft.files}
        if existing is None and filename not in deployed and len(held) >= MAX_FILES:
            raise DraftTooLarge("workspace.too_many_files", N_(
                "the bundle would have more than %(most)s files; nothing was saved"), most=MAX_FILES)
        counter.revision += 1
        sha = _sha(content)
        if existing is None:
            base = deployed.get(filename)
            draft.files.append(WorkspaceDraftFile(filename=filename, content=content, sha256=sha,
                                                  base_sha256=base.sha256 if base is not None else None,
                                                  revision=counter.revision, saved_at=now))
        else:
            existing.content, existing.sha256, existing.revision, existing.saved_at = (
                content, sha, counter.revision, now)
        draft.updated_at = now
        audit.record(session, "workspace.draft_saved", now, user, deployment_id=latest.id, bundle=latest.name,
                     files=[{"file": filename, "sha256": sha}], revision=counter.revision)
        return counter.revision


def _overlay(session: Session, latest: Deployment, draft: WorkspaceDraft | None) -> dict[str, bytes]:
    files = {name: f.content for name, f in _deployed_files(session, latest.id).items()}
    for f in draft.files if draft else []:
        files[f.filename] = f.content
    return files


def _hashes(files: Mapping[str, bytes], names: Iterable[str] | None = None) -> list[dict[str, str]]:
    return [{"file": n, "sha256": _sha(files[n])} for n in sorted(names if names is not None else files)]


def draft_files(engine: Engine, actor_id: int, key: str) -> dict[str, bytes]:
    """The whole bundle as the actor's draft makes it: the latest deployment's files overlaid with their draft."""
    with engine.session_factory() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        return _overlay(session, latest, _own(session, latest.name, user.id))


def validate(engine: Engine, actor_id: int, key: str) -> Validation:
    """Check the actor's whole draft with exactly the checks of a deployment (nothing is stored but the audit
    event: who validated which files, their SHA-256, how many problems)."""
    files = draft_files(engine, actor_id, key)
    try:
        deployments.check(engine, files)
        problems: list[Problem] = []
    except DeploymentInvalid as exc:
        problems = exc.problems
    with engine.session_factory.begin() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        audit.record(session, "workspace.validated", engine.now(), user, deployment_id=latest.id,
                     bundle=latest.name, files=_hashes(files), ok=not problems, problems=len(problems))
    return Validation({n: _sha(c) for n, c in files.items()}, problems)


def run_scenarios(engine: Engine, actor_id: int, key: str) -> scenarios.ScenarioReport:
    """Run the scenario tests of the actor's draft (the bundle as their draft makes it) as deploy would, in a
    throwaway database; nothing is stored."""
    files = draft_files(engine, actor_id, key)
    with engine.session_factory() as session:
        name = _latest(session, key).name
    return scenarios.run_bundle(engine, files, name=name)


def deploy(engine: Engine, actor_id: int, key: str, note: str = "",
           override_reason: str = "") -> deployments.DeploymentResult:
    """Deploy the actor's draft as the bundle's next deployment, with a note; the draft is then gone.

    Refused, with nothing deployed and the draft kept, while a drafted file changed in a deployment after its
    owner began editing it (:class:`DraftStale`) or while any check fails (``DeploymentInvalid``, audited as
    ``workspace.deploy_refused``) — a failed scenario test included, unless an administrator gives
    ``override_reason`` (``deployments.deploy``)."""
    note = note.strip()[:MAX_NOTE]
    with engine.session_factory() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        name = latest.name
        draft = _own(session, name, user.id)
        stale = _stale(session, draft, _deployed_files(session, latest.id), latest)
        files = _overlay(session, latest, draft)
        drafted = {f.filename: f.revision for f in draft.files} if draft else {}
    if stale:
        raise DraftStale(stale)
    try:
        result = deployments.deploy(engine, files, actor_id, name=name, note=note, override_reason=override_reason)
    except DeploymentInvalid as exc:
        with engine.session_factory.begin() as session:
            audit.record(session, "workspace.deploy_refused", engine.now(), _require(session, actor_id),
                         deployment_id=latest.id, bundle=name, files=_hashes(files, drafted),
                         problems=len(exc.problems))
        raise
    with engine.session_factory.begin() as session:
        user = _require(session, actor_id)
        counter = _revision(session, name)
        counter.revision += 1
        counter.deployed_revision = counter.revision
        counter.deployed_by, counter.deployed_at = user.username, engine.now()
        draft = _own(session, name, user.id)
        # An identical bundle deployed before is not deployed again (the engine keeps one deployment per
        # content); unless that is the latest deployment, the draft stays, so that nothing is lost.
        if draft is not None and (result.created or result.deployment_id == latest.id):
            # Files saved again meanwhile (another tab) stay in the draft; what was deployed leaves it.
            for f in list(draft.files):
                if drafted.get(f.filename) == f.revision:
                    draft.files.remove(f)
            if not draft.files:
                session.delete(draft)
        audit.record(session, "workspace.deployed", engine.now(), user, deployment_id=result.deployment_id,
                     bundle=name, files=_hashes(files, drafted), all_files=_hashes(files), note=note,
                     created=result.created, previous_deployment_id=latest.id)
    return result


def discard(engine: Engine, actor_id: int, key: str) -> list[str]:
    """Delete the actor's draft of the bundle (after they confirmed); return the files it held."""
    with engine.session_factory.begin() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        draft = _own(session, latest.name, user.id)
        if draft is None:
            return []
        held = {f.filename: f.content for f in draft.files}
        session.delete(draft)
        audit.record(session, "workspace.draft_discarded", engine.now(), user, deployment_id=latest.id,
                     bundle=latest.name, files=_hashes(held))
        return sorted(held)


def resolve(engine: Engine, actor_id: int, key: str, filename: str, keep_mine: bool) -> None:
    """Settle a file of the actor's draft that was deployed with another content meanwhile: keep the draft's
    version (it will replace the deployed one) or take the deployed one (the file leaves the draft)."""
    with engine.session_factory.begin() as session:
        user = _require(session, actor_id)
        latest = _latest(session, key)
        draft = _own(session, latest.name, user.id)
        drafted = next((f for f in draft.files if f.filename == filename), None) if draft else None
        if draft is None or drafted is None:
            raise NotFound("workspace.file_not_found", N_("The bundle has no file %(file)s"), file=filename)
        deployed = _deployed_files(session, latest.id).get(filename)
        counter = _revision(session, latest.name)
        counter.revision += 1
        if keep_mine:
            drafted.base_sha256 = deployed.sha256 if deployed is not None else None
            drafted.revision = counter.revision
        else:
            draft.files.remove(drafted)
            if not draft.files:
                session.delete(draft)
        audit.record(session, "workspace.conflict_resolved", engine.now(), user, deployment_id=latest.id,
                     bundle=latest.name, files=[{"file": filename, "sha256": drafted.sha256}],
                     kept="draft" if keep_mine else "deployed")


def form_pairs(names: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """Group form files by form: ``x`` -> (``x.schema.json``, ``x.uischema.json``), either may be missing."""
    pairs: dict[str, list[str | None]] = {}
    for name in sorted(names):
        if kind_of(name) != "form":
            continue
        if name.endswith(".uischema.json"):
            pairs.setdefault(name[:-len(".uischema.json")], [None, None])[1] = name
        elif name.endswith(".schema.json"):
            pairs.setdefault(name[:-len(".schema.json")], [None, None])[0] = name
        elif name.endswith(".json"):
            pairs.setdefault(name[:-len(".json")], [None, None])[0] = name
    return {k: (v[0], v[1]) for k, v in pairs.items()}

