"""One error type per kind of failure; the web layer maps each to one HTTP status and shows its message.

Every message is a :class:`Message`: a stable ``code``, an English ``text`` with ``%(name)s`` placeholders and
its ``params``. The English text is the gettext msgid: written inside ``N_()``, ``pybabel extract -k N_`` (``make
translations``) collects it, and the web layer translates it (``webapp.i18n.translate``). ``str()`` and an error's
``.message`` render it in English, for logs and the command line. Details quoted from lxml, SpiffWorkflow or
jsonschema stay English, inside a parameter; a parameter may itself be a Message (a word translated with it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark an English message template for extraction; it is translated where it is shown."""
    return text


# The text of a message that is only a detail quoted from a library: shown as it is, in every language.
VERBATIM = "%(detail)s"


@dataclass(frozen=True)
class Message:
    """A message as data: ``code`` names it for programs and tests, ``text`` is the English template."""

    code: str
    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """Fill in the parameters: in English, or in the language of ``translate`` (gettext) when given."""
        template = translate(self.text) if translate else self.text
        if not self.params:
            return template
        return template % {key: value.render(translate) if isinstance(value, Message) else value
                           for key, value in self.params.items()}

    def __str__(self) -> str:
        return self.render()


class EngineError(Exception):
    """Base class of every error the engine's services raise on purpose."""

    status = 400

    def __init__(self, code: str, text: str, **params: Any):
        self.code, self.text, self.params = code, text, params
        self.message = Message(code, text, params).render()  # English, for logs and the command line
        super().__init__(self.message)

    @property
    def msg(self) -> Message:
        """The error's message, for the web layer to translate."""
        return Message(self.code, self.text, self.params)


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
    message: Message


class FormInvalid(EngineError):
    """Submitted task data does not satisfy the task's form schema; the web layer shows each field's error."""

    status = 422

    def __init__(self, errors: list[FieldError]):
        super().__init__("form.invalid", VERBATIM,
                         detail="; ".join(f"{e.path or '(form)'}: {e.message}" for e in errors))
        self.errors = errors


@dataclass
class Problem:
    """One validation problem in an uploaded bundle, located as precisely as the source allows."""

    file: str
    message: Message
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
    """A bundle failed validation; nothing was stored. The web layer lists the problems, each translated."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("deployment.invalid", "The bundle is not valid:\n%(problems)s",
                         problems="\n".join(f"- {p}" for p in self.problems))
        self.status = 422


class ProcessError(EngineError):
    """The process itself failed while running (a script error, a bad expression); the instance is errored."""

    status = 422

    def __init__(self, code: str, text: str, instance_id: int, task: str | None = None, line: int | None = None,
                 **params: Any):
        super().__init__(code, text, **params)
        self.instance_id = instance_id
        self.task = task
        self.line = line
