"""Keep an instance's live workflow state small: move finished history out of the task tree before each save.

SpiffWorkflow keeps every task it ever created: a user task repeated in a loop adds a few tasks per iteration, the
stored JSON grows with the instance's history, and every completion loads and writes all of it (and the task
iterator's depth limit eventually stops the loop silently). ``compact`` cuts the tree at the deepest task under
which everything SpiffWorkflow may still need lies:

- every unfinished task (READY, WAITING, STARTED, ERROR and the predicted FUTURE/LIKELY/MAYBE ones),
- the workflow's ``last_task`` and the most recently finished task (the instance page and reports read its data),
- every task of a gateway spec that has a WAITING task (a join counts the branches that already arrived, including
  the CANCELLED join tasks they left behind).

That task's whole subtree stays (so parallel branches, boundary events and multi-instance children under it are
untouched); the tasks above it and their other, finished, branches are dropped and the subtree is hung under the
root task. SpiffWorkflow stores a task's data as a delta against its parent, so the serializer then writes the cut
task's data against the root's: nothing of the live data is lost. The subprocess workflows of dropped tasks go too.
What the diagram needs of the dropped part — which elements were completed — is kept in a small sorted list
(``HISTORY``), saved with the state; the audit trail keeps the rest.

Only the top-level workflow is cut; nothing is cut until at least ``MIN_DROP`` tasks can go, so short processes
keep their whole tree.
"""

from __future__ import annotations

import os
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

HISTORY = "smk_history"  # attribute on the workflow and key in the stored state
# Cut only when at least this many tasks can go (a few loop iterations); SMK_COMPACT_MIN_DROP=1 cuts at every save.
MIN_DROP = max(1, int(os.environ.get("SMK_COMPACT_MIN_DROP", "40") or 40))


def history(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The compacted history of ``workflow``: {"completed": [bpmn ids], "completed_sub": [...], "dropped": n}."""
    found = getattr(workflow, HISTORY, None)
    if not isinstance(found, dict):
        found = {"completed": [], "completed_sub": [], "dropped": 0}
        setattr(workflow, HISTORY, found)
    return found


def completed_elements(workflow: BpmnWorkflow, subprocesses: bool = False) -> set[str]:
    """Bpmn ids of the elements completed in the top-level process (and its subprocesses when asked), including
    the ones compacted out of the live state."""
    done = set(history(workflow)["completed"])
    tasks = list(workflow.tasks.values())
    if subprocesses:
        done.update(history(workflow)["completed_sub"])
        for sub in workflow.subprocesses.values():
            tasks.extend(sub.tasks.values())
    for task in tasks:
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id and task.state == TaskState.COMPLETED:
            done.add(bpmn_id)
    return done


def _lowest_common_ancestor(tasks: list[Any], root: Any) -> Any:
    path: list[Any] | None = None
    for task in tasks:
        chain = []
        current = task
        while current is not None:
            chain.append(current)
            current = current.parent
        chain.reverse()
        if path is None:
            path = chain
            continue
        common = 0
        while common < len(path) and common < len(chain) and path[common] is chain[common]:
            common += 1
        path = path[:common]
    return path[-1] if path else root


def compact(workflow: BpmnWorkflow, min_drop: int | None = None) -> int:
    """Drop the finished tasks no longer needed to continue ``workflow``; return how many went (0: nothing)."""
    min_drop = MIN_DROP if min_drop is None else min_drop
    tasks = workflow.tasks
    root = workflow.task_tree
    if root is None or len(tasks) <= min_drop + 2:
        return 0
    keep: list[Any] = [t for t in tasks.values() if t.state & (TaskState.NOT_FINISHED_MASK | TaskState.ERROR)]
    if not keep:  # a completed workflow: its data is the workflow's, nothing loops any more
        return 0
    waiting_joins = {t.task_spec for t in keep if t.state == TaskState.WAITING
                     and isinstance(t.task_spec, UnstructuredJoin)}
    if waiting_joins:
        keep.extend(t for t in tasks.values() if t.task_spec in waiting_joins)
    if workflow.last_task is not None and workflow.last_task.id in tasks:
        keep.append(workflow.last_task)
    finished = [t for t in tasks.values() if t.state == TaskState.COMPLETED]
    if finished:
        keep.append(max(finished, key=lambda t: t.last_state_change))
    cut = _lowest_common_ancestor(keep, root)
    if cut is root or cut.parent is root:
        return 0
    kept_ids = {root.id}
    stack = [cut.id]  # the cut task and its whole subtree (not Task's iterator: it stops at depth 1000)
    while stack:
        tid = stack.pop()
        if tid in kept_ids or tid not in tasks:
            continue
        kept_ids.add(tid)
        stack.extend(child.id for child in tasks[tid].children if child is not None)
    dropped = [t for t in tasks.values() if t.id not in kept_ids]
    if len(dropped) < min_drop:
        return 0
    record = history(workflow)
    done = set(record["completed"])
    done.update(t.task_spec.bpmn_id for t in dropped
                if t.state == TaskState.COMPLETED and getattr(t.task_spec, "bpmn_id", None))
    dropped_ids = {t.id for t in dropped}
    sub_done = set(record["completed_sub"])
    gone = [key for key in workflow.subprocesses if key in dropped_ids]
    while gone:  # subprocesses of dropped tasks, and theirs in turn
        key = gone.pop()
        sub = workflow.subprocesses.pop(key, None)
        if sub is None:
            continue
        sub_done.update(t.task_spec.bpmn_id for t in sub.tasks.values()
                        if t.state == TaskState.COMPLETED and getattr(t.task_spec, "bpmn_id", None))
        gone.extend(k for k in workflow.subprocesses if k in sub.tasks)
    for task in dropped:
        del tasks[task.id]
    root.children = [cut]
    cut.parent = root
    record["completed"] = sorted(done)
    record["completed_sub"] = sorted(sub_done)
    record["dropped"] = int(record.get("dropped") or 0) + len(dropped)
    return len(dropped)
