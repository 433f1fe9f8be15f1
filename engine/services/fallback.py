"""Stand-ins for a task nobody in its lane can act on (``fallbackCandidateGroups``), and in which capacity someone
completed a task.

A user task may name groups among its ``spiffworkflow:properties``: ``fallbackCandidateGroups`` ("PPK,Tim Penilai
Kinerja"). When nobody can act on the task through its lane or the candidates its model names, the active members
of those groups stand in, **except the employee the task is about and that employee's own assessors**
(``stand_ins``: an objection is not decided by the one who objects or the one objected to). The people are named
(the task row's ``candidate_users``), not the groups, so the exclusion holds in the inbox, ``may_act`` and the
notifications alike.

One rule, at every moment it applies:

- when the task becomes ready (``offer``, called by ``notifications.notify_new_tasks``; the runner copies the
  property from the task's spec into ``TaskIndex.fallback_groups`` for that step);
- when an organisation change recomputes who may act on open tasks (``engine.services.handover``: an import, a
  superior change, an account deactivated or active again, a group's members changed, an acting official named,
  ended, or reaching their first day or passing their last, ``acting.hand_over_acting_days``). The task row
  does not keep the property, so ``task_models`` reads it from the model version the task's instance runs (its
  deployed BPMN, remembered by content hash: deployments never change). If the lane gives nobody after the change,
  the stand-ins are named; if it gives someone again, the task goes to them and the stand-ins lose it; someone
  just put in a group (or active again) joins the stand-ins already named, where the rule allows.

``task_capacity`` is a service operation: a model calls it right after a user task to learn in which capacity the
person who completed it could act on it (their lane, named as a stand-in, assigned by an administrator), e.g. to
record who decided an objection in the Atasan Pejabat Penilai's place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import LANES, group_names, holds_personal_lane, superior_ids
from engine.db.deploy import Deployment, DeploymentFile, ProcessVersion
from engine.db.org import Group, GroupMember, User
from engine.db.runtime import Instance, TaskIndex
from engine.deploy.bundles import NS
from engine.services import audit

if TYPE_CHECKING:
    from engine.runtime.runner import StepContext

PROPERTY = "fallbackCandidateGroups"

# What ``task_capacity`` answers: how the person who completed the task could act on it.
LANE = "lane"  # they hold the task's lane (the Atasan Pejabat Penilai, or someone acting for them: Plt/Plh)
STAND_IN = "stand_in"  # the engine named them in the lane's place, from the model's fallback groups
ASSIGNED = "assigned"  # an administrator assigned the task to them (or they claimed it) without holding the lane
CANDIDATE = "candidate"  # the model names them (candidateUsers, candidateGroups)


def names(value: str | None) -> list[str]:
    """The names of a comma-separated list, as a model writes them ("PPK, Tim Penilai Kinerja") or as a task row
    keeps them (",PPK,Tim Penilai Kinerja,")."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def column(values: Iterable[str]) -> str:
    """The names as a task row keeps them: ",a,b," (each once, in order), or "" for none."""
    unique = list(dict.fromkeys(v for v in values if v))
    return "," + ",".join(unique) + "," if unique else ""


# --- the rule -------------------------------------------------------------------------------------------------


def excluded(subject_id: int | None, superiors: Callable[[int], Iterable[int]]) -> set[int]:
    """Who never stands in for a task about this employee: the employee and the employee's own assessors."""
    return {subject_id, *superiors(subject_id)} if subject_id else set()


def stand_ins(members: Iterable[int], subject_id: int | None, superiors: Callable[[int], Iterable[int]]) -> list[int]:
    """The rule: of ``members`` (the active members of the fallback groups, in the order given), those who stand in
    for a task about ``subject_id``. ``superiors`` gives an employee's assessors (``access.superior_ids``, or the
    handover's dictionaries of the organisation after a change)."""
    barred = excluded(subject_id, superiors)
    return [uid for uid in dict.fromkeys(members) if uid not in barred]


@dataclass(frozen=True)
class TaskModel:
    """What the model of a task says about stand-ins: its fallback groups and the users it names itself."""

    groups: tuple[str, ...]
    users: tuple[str, ...] = ()  # candidateUsers: named by the model, kept whoever else stands in

    def named_in_place(self, candidate_users: str) -> list[str]:
        """The usernames on the task row that the engine named in the lane's place (not the model's own)."""
        return [u for u in names(candidate_users) if u not in self.users]


def offer(session: Session, row: TaskIndex, now: datetime) -> list[User]:
    """Name the stand-ins of a task that has just become ready and that nobody in its lane can act on
    (``row.fallback_groups``, from its spec); record ``task.fallback``; return them (who may now act).

    ``task_candidate`` follows ``candidate_users`` when the session flushes."""
    groups = names(row.fallback_groups)
    members = {user.id: user for user in session.scalars(
        select(User).join(GroupMember, GroupMember.user_id == User.id).join(Group, Group.id == GroupMember.group_id)
        .where(Group.name.in_(groups), User.active).order_by(User.id)).unique()}

    def superiors(employee_id: int) -> list[int]:
        return superior_ids(session, employee_id)  # remembered for the transaction

    people = [members[uid] for uid in stand_ins(members, row.subject_id, superiors)]
    record_offer(session, row, groups, [(u.username, u.full_name) for u in people], now, None,
                 excluded=len(excluded(row.subject_id, superiors)))
    if people:
        row.candidate_users = column([*names(row.candidate_users), *(u.username for u in people)])
    return people


def record_offer(session: Session, row: TaskIndex, groups: Sequence[str], people: Sequence[tuple[str, str]],
                 now: datetime, actor: User | None, **extra: Any) -> None:
    """Record ``task.fallback``: the task offered to the stand-ins ``people`` ((username, full name)) of ``groups``
    (none: nobody is left after the exclusions)."""
    title = " · ".join([row.title, ", ".join(name for _, name in people)]) if people else row.title
    audit.record(session, "task.fallback", now, actor, instance_id=row.instance_id, task_id=row.id,
                 task_name=row.task_name, lane=row.lane, groups=list(groups), title=title,
                 candidates=[username for username, _ in people], **extra)


# --- the models of open tasks ---------------------------------------------------------------------------------

# bundle hash -> {(process id, task id): TaskModel} of the tasks that name fallback groups; deployments never change.
_MODELS: OrderedDict[str, dict[tuple[str, str], TaskModel]] = OrderedDict()
_MODELS_SIZE = 64
_LOCK = threading.Lock()  # guards only this in-memory dictionary


def _bundle_models(files: Iterable[tuple[str, bytes]]) -> dict[tuple[str, str], TaskModel]:
    """Read the tasks that name ``fallbackCandidateGroups`` from a bundle's BPMN files, as the parser reads the
    properties (``spiffworkflow:property`` name and value inside the task's ``spiffworkflow:properties``)."""
    found: dict[tuple[str, str], TaskModel] = {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    for filename, content in files:
        if not filename.lower().endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(content, parser)
        except etree.XMLSyntaxError:
            continue  # a deployed bundle was validated; a file that does not parse names no stand-ins
        for prop in root.xpath(f"//spiffworkflow:properties/spiffworkflow:property[@name='{PROPERTY}']",
                               namespaces=NS):
            task = prop.getparent().getparent().getparent()  # properties <- extensionElements <- the task
            if task is None or not task.get("id"):
                continue
            process = next(iter(task.xpath("ancestor::bpmn:process[1]", namespaces=NS)), None)
            values = {p.get("name"): p.get("value") for p in prop.getparent().xpath("spiffworkflow:property",
                                                                                    namespaces=NS)}
            groups = tuple(names(values.get(PROPERTY)))
            if groups:
                key = (process.get("id", "") if process is not None else "", str(task.get("id")))
                found[key] = TaskModel(groups, tuple(names(values.get("candidateUsers"))))
    return found


def models_of(session: Session, deployment_id: int, bundle_hash: str) -> dict[tuple[str, str], TaskModel]:
    """The tasks of a deployment whose model names stand-in groups: {(process id, task id): TaskModel}, cached."""
    with _LOCK:
        models = _MODELS.get(bundle_hash)
        if models is not None:
            _MODELS.move_to_end(bundle_hash)
            return models
    models = _bundle_models(session.execute(select(DeploymentFile.filename, DeploymentFile.content).where(
        DeploymentFile.deployment_id == deployment_id, func.lower(DeploymentFile.filename).like("%.bpmn"))).all())
    with _LOCK:
        _MODELS[bundle_hash] = models
        while len(_MODELS) > _MODELS_SIZE:
            _MODELS.popitem(last=False)
    return models


def model_for(models: Mapping[tuple[str, str], TaskModel], process_id: str, task_name: str) -> TaskModel | None:
    """The model of a task of ``process_id`` among a deployment's ``models_of``; a task of a called process is
    found by its own name (the instance's process id is the caller's)."""
    return models.get((process_id, task_name)) or next(
        (m for (_, tid), m in models.items() if tid == task_name), None)


def task_models(session: Session, rows: Iterable[Any]) -> dict[str, TaskModel]:
    """Return task id -> its model's stand-in groups and own candidate users, for those of ``rows`` (anything with
    the ``id`` of a task row) whose model version names ``fallbackCandidateGroups`` on that task.

    Two indexed queries for the rows (a thousand at a time), and the BPMN of each model version not seen before."""
    ids = sorted({row.id for row in rows})
    if not ids:
        return {}
    found: dict[str, TaskModel] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        tasks = session.execute(
            select(TaskIndex.id, TaskIndex.task_name, Instance.process_id, ProcessVersion.deployment_id,
                   Deployment.bundle_hash)
            .join(Instance, Instance.id == TaskIndex.instance_id)
            .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
            .join(Deployment, Deployment.id == ProcessVersion.deployment_id)
            .where(TaskIndex.id.in_(chunk))).all()
        for task_id, task_name, process_id, deployment_id, bundle_hash in tasks:
            model = model_for(models_of(session, deployment_id, bundle_hash), process_id, task_name)
            if model is not None:
                found[task_id] = model
    return found


# --- the capacity in which someone completed a task -------------------------------------------------------------


def capacity(session: Session, row: TaskIndex, user: User, model: TaskModel | None) -> str:
    """How ``user`` could act on the task: LANE, STAND_IN, ASSIGNED, CANDIDATE, or "" (none of these)."""
    if LANES.is_personal(row.lane):
        if holds_personal_lane(session, row, user.id):
            return LANE
    elif row.lane in group_names(session, user.id):
        return LANE
    if model is not None and user.username in model.named_in_place(row.candidate_users):
        return STAND_IN
    if row.assignee_id == user.id:
        return ASSIGNED
    if f",{user.username}," in (row.candidate_users or "") or set(names(row.candidate_groups)) & set(
            group_names(session, user.id)):
        return CANDIDATE
    return ""


def task_capacity(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Service operation ``task_capacity``: in which capacity the person who completed the user task ``task`` (its
    BPMN id) of this instance could act on it. Call it right after that task: the person is the one completing it
    in this step (or who completed it, once the task is closed).

    Returns ``{"capacity": "lane" | "stand_in" | "assigned" | "candidate" | "", "username", "name", "groups"}``:
    ``groups`` are the task's fallback groups the person is a member of (in the model's order). Nobody (a timer
    went on, no such task) gives capacity "" and empty names."""
    task = str(params.get("task") or "").strip()
    if not task:
        raise ValueError("task_capacity needs task: the BPMN id of the user task")
    session = ctx.session
    row = session.scalars(select(TaskIndex).where(TaskIndex.instance_id == ctx.instance.id,
                                                  TaskIndex.task_name == task)
                          .order_by(TaskIndex.closed_at.is_(None).desc(), TaskIndex.ready_at.desc(),
                                    TaskIndex.id.desc()).limit(1)).first()
    user_id = None if row is None else (ctx.actor_id if row.closed_at is None else row.completed_by_id)
    user = session.get(User, user_id) if user_id is not None else None
    if row is None or user is None:
        return {"capacity": "", "username": "", "name": "", "groups": []}
    model = task_models(session, [row]).get(row.id)
    mine = set(group_names(session, user.id))
    return {"capacity": capacity(session, row, user, model), "username": user.username, "name": user.full_name,
            "groups": [g for g in (model.groups if model else ()) if g in mine]}

