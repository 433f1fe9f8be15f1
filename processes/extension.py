"""The SMK application as an engine extension: its script functions, service operations, lanes and roles."""

from __future__ import annotations

from dataclasses import replace

from engine.extension import Extension
from engine.services.operations import builtin_extension
from processes.assessment_results import recording
from processes.demo import load_demo_organisation
from processes.follow_up_results import FOLLOW_UP_OPERATIONS
from processes.lanes import LANES, ROLES
from processes.operations import SMK_OPERATIONS
from processes.rules.script_api import SCRIPT_FUNCTIONS
from processes.skp_results import record_skp


def smk_extension() -> Extension:
    """Return what the SMK models call by name, and the SMK names of the engine's lanes and roles."""
    # The sandbox processes import the functions from here (they never run in the web or worker process).
    return Extension("smk", functions=SCRIPT_FUNCTIONS,
                     functions_module="processes.rules.script_api:SCRIPT_FUNCTIONS",
                     operations={**SMK_OPERATIONS, **FOLLOW_UP_OPERATIONS}, lanes=LANES, roles=ROLES,
                     decision_tables="processes.rules.dmn_tables:use_tables",
                     organisations={"demo": load_demo_organisation},
                     saved=(record_skp,))  # each planning case's SKP for the cascading tree (processes.skp_results)


def extensions() -> list[Extension]:
    """Return every extension an SMK engine runs with: the engine's own operations, then the SMK ones."""
    # Every service operation records the assessment's result first when it changed (processes.assessment_results).
    return [replace(e, operations=recording(e.operations)) for e in (builtin_extension(), smk_extension())]
