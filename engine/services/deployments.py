"""Deploy bundles: run the bundle's scenario tests, then validate and store it once by content hash, versioning each
process and decision (``engine.services.bundle_store``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.deploy import DecisionVersion, Deployment, ProcessVersion
from engine.deploy.bundles import parse_bundle
from engine.errors import N_, DeploymentInvalid, PermissionDenied
from engine.services.bundle_store import DeploymentResult as DeploymentResult
from engine.services.bundle_store import latest_file, store_bundle
from engine.services.bundle_store import latest_version as latest_version
from engine.services.bundle_store import parse_against_deployed as parse_against_deployed
from engine.services.bundle_store import read_folder as read_folder

MAX_OVERRIDE_REASON = 2000


class ScenariosFailed(DeploymentInvalid):
    """A scenario test of the bundle failed (one problem per failed scenario); nothing was deployed. An
    administrator may deploy anyway with a written reason (``override_reason``)."""


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
    failed = report.as_problems()
    summary["override"] = {"reason": reason, "failures": [str(p) for p in failed],
                           "messages": [{"file": p.file, "message": scenarios.message_data(p.message)} for p in failed]}
    return summary


def deploy(engine: Engine, files: Mapping[str, bytes], deployed_by: int | None, name: str = "",
           note: str = "", run_scenarios: bool = True, override_reason: str = "") -> DeploymentResult:
    """Validate and store a bundle; an identical bundle deployed before is returned unchanged.

    The bundle's scenario tests (``*.scenario.json``) run first, in a throwaway database; when one fails nothing
    is deployed (:class:`ScenariosFailed`) unless an administrator gives ``override_reason`` (audited with the
    failures, shown on the deployment page). ``run_scenarios=False`` is for the built-in bundles (their scenarios
    run in the test suite)."""
    tested = _run_scenarios(engine, files, deployed_by, name, override_reason) if run_scenarios else None
    return store_bundle(engine, files, deployed_by, name, note, {"scenarios": tested} if tested is not None else None)


def check(engine: Engine, files: Mapping[str, bytes]) -> None:
    """Run every check ``deploy`` runs on a bundle (the same resolvers for earlier deployments), storing nothing;
    raise DeploymentInvalid listing every problem."""
    with engine.session_factory() as session:
        parse_bundle(files, find_process=lambda ref: latest_file(session, ProcessVersion, "process_id", ref),
                     find_decision=lambda ref: latest_file(session, DecisionVersion, "decision_id", ref))


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


