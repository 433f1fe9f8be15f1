"""Errors raised by the SMK rule functions.

One error type per kind of failure: bad input from a caller (`RuleInputError`) and a broken or
ambiguous decision table (`DmnTableError`). Both subclass ValueError so that callers which only
care about "the rule could not produce a value" can catch one thing.
"""

from __future__ import annotations


class RuleInputError(ValueError):
    """Reject an input that a rule cannot score, naming the field and the problem."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class DmnTableError(ValueError):
    """Report a decision table that cannot be read or gives no single answer."""

    def __init__(self, decision_id: str, problem: str) -> None:
        self.decision_id = decision_id
        self.problem = problem
        super().__init__(f"DMN {decision_id}: {problem}")
