"""What an application plugs into the engine: script functions, service operations, lane names and roles.

The engine names none of the application's words. The composition root (the web app's ``create_app``, the CLI,
tests) builds an ``Engine(url, extensions=[...])``; each extension hands over what its models call by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.access import Roles
from engine.runtime.runner import Operation, SavedHook


@dataclass(frozen=True)
class Extension:
    """One application's additions; ``lanes`` maps lane names to ``access.SUBJECT | SUPERIOR | SUPERIOR_2``.

    ``functions_module`` says where the sandbox processes import ``functions`` ("package.module:MAPPING", a
    mapping holding these very functions); without it each function must be importable by its own module and
    name (a module-level ``def``).

    ``decision_tables`` ("package.module:function") is how the application's functions read DMN tables: the
    function takes {decision id: (sha256, DMN XML)} — the decision versions pinned for the instance that runs —
    and returns a context manager. The engine enters it around every engine step of an instance, in this process
    (service operations) and in the sandbox processes (script functions), which import it from that path.

    ``organisations`` are the organisation fixtures scenario tests may name (``"organisation": "demo"``): name ->
    a function that loads that organisation into an empty database through the engine it is given
    (``engine.services.scenarios``).

    ``saved`` are called whenever an instance's state is written, in the same transaction
    (``engine.runtime.runner.SavedHook``): how an application keeps a projection of instance data (a table its
    reports read) in step without a report ever reading workflow state.
    """

    name: str
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    functions_module: str | None = None
    operations: Mapping[str, Operation] = field(default_factory=dict)
    lanes: Mapping[str, str] = field(default_factory=dict)
    roles: Roles | None = None
    decision_tables: str | None = None
    organisations: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    saved: tuple[SavedHook, ...] = ()
