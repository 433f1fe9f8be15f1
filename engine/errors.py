"""One error type per kind of failure; the web layer maps each to one HTTP status and message."""

from __future__ import annotations

from dataclasses import dataclass, field


class EngineError(Exception):
    """Base class of every error the engine's services raise on purpose."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(EngineError):
    """The object does not exist, or the user may not see it (never tell which)."""

    status = 404


class PermissionDenied(EngineError):
    """The user may see the object but not do this to it."""

    status = 403


class Conflict(EngineError):
    """Someone else changed the object meanwhile; reload and try again."""

    status = 409


class InvalidState(EngineError):
    """The object's state does not allow this operation (e.g. completing a task of a suspended instance)."""

    status = 409


@dataclass
class FieldError:
    """A problem with one form field; ``path`` is a dotted path such as ``kegiatan.0.target``."""

    path: str
    message: str


class FormInvalid(EngineError):
    """Submitted task data does not satisfy the task's form schema."""

    status = 422

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.path or '(form)'}: {e.message}" for e in errors))
        self.errors = errors


@dataclass
class Problem:
    """One validation problem in an uploaded bundle, located as precisely as the source allows."""

    file: str
    message: str
    element_id: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f", line {self.line}"
            if self.column:
                where += f", column {self.column}"
        if self.element_id:
            where += f", element '{self.element_id}'"
        return f"{where}: {self.message}"


@dataclass
class DeploymentInvalid(EngineError):
    """A bundle failed validation; nothing was stored."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("The bundle is not valid:\n" + "\n".join(f"- {p}" for p in self.problems))
        self.status = 422


class ProcessError(EngineError):
    """The process itself failed while running (a script error, a bad expression); the instance is errored."""

    status = 422

    def __init__(self, message: str, instance_id: int, task: str | None = None, line: int | None = None):
        super().__init__(message)
        self.instance_id = instance_id
        self.task = task
        self.line = line
