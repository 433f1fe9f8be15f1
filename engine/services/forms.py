"""Server-side validation of submitted task data against the task's JSON Schema (always on)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import jsonschema
import re2
import referencing.exceptions
from jsonschema import Draft202012Validator
from jsonschema.validators import extend
from referencing import Registry

from engine.deploy.safety import compile_regex
from engine.errors import N_, VERBATIM, FieldError, FormInvalid, Message
from engine.limits import current as current_limits

_FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER


def _refuse_retrieval(uri: str) -> Any:
    # A "$ref" to http://… or file://… would fetch a URL or read a file at every submission; deployment refuses
    # such schemas, and this registry never retrieves anything for those deployed before that check.
    raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs class


_REGISTRY: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]  # attrs class


def _matches(regex: str, text: str) -> bool:
    """Search with RE2 (linear time: "^(a+)+$" cannot backtrack); a regex RE2 refuses matches nothing."""
    try:
        return compile_regex(regex).search(text) is not None
    except re2.error:
        return False


def _pattern(validator: Any, regex: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _matches(regex, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {regex!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any,
                        schema: dict[str, Any]) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for regex, subschema in patterns.items():
        for key, value in instance.items():
            if _matches(regex, key):
                yield from validator.descend(value, subschema, path=key, schema_path=regex)


# Draft 2020-12 with RE2 for the two keywords that match a regex against submitted text.
_Validator = extend(Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties})

# A message per JSON Schema keyword (code "form.<keyword>"; %(v)s is the keyword's value); anything else falls
# back to jsonschema's own English text.
_MESSAGES = {
    "required": N_("Required"),
    "minLength": N_("Too short (at least %(v)s characters)"),
    "maxLength": N_("Too long (at most %(v)s characters)"),
    "minimum": N_("Must be at least %(v)s"),
    "maximum": N_("Must be at most %(v)s"),
    "exclusiveMinimum": N_("Must be greater than %(v)s"),
    "exclusiveMaximum": N_("Must be less than %(v)s"),
    "enum": N_("Choose one of the options"),
    "const": N_("Must be confirmed"),
    "type": N_("Wrong kind of value (expected %(v)s)"),
    "format": N_("Invalid format (%(v)s)"),
    "minItems": N_("At least %(v)s rows"),
    "maxItems": N_("At most %(v)s rows"),
    "pattern": N_("Does not match the expected format"),
    "additionalProperties": N_("Unknown field"),
}


def editable_fields(schema: dict[str, Any]) -> list[str]:
    """Return the top-level fields a user may submit (read-only context fields excluded)."""
    return [name for name, prop in (schema.get("properties") or {}).items()
            if not (isinstance(prop, dict) and prop.get("readOnly"))]


def validate_submission(schema: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """Return the submitted values the form allows, or raise FormInvalid naming each bad field."""
    if not isinstance(data, dict):
        raise FormInvalid([FieldError("", Message("form.not_object", N_("Form data must be an object")))])
    if schema is None:
        return {}  # a task without a form takes no data: nothing may be smuggled into the workflow
    allowed = set(editable_fields(schema))
    clean = {k: v for k, v in data.items() if k in allowed}
    not_finite = list(_non_finite(clean))
    if not_finite:
        # JSON Schema calls NaN and Infinity numbers; stored, they poison every score computed from them.
        raise FormInvalid([FieldError(path, Message("form.not_finite", N_("Must be an ordinary number")))
                           for path in not_finite])
    validator = _validator_for(schema, allowed)
    errors: list[FieldError] = []
    try:
        found = sorted(validator.iter_errors(clean), key=lambda e: [str(p) for p in e.absolute_path])
    except referencing.exceptions.Unresolvable as exc:
        raise FormInvalid([FieldError("", Message("form.unresolvable_ref", N_(
            "This form refers to a schema outside itself (%(ref)s), which is not allowed; tell the process owner"),
            {"ref": str(getattr(exc, "ref", "") or exc)[:200]}))]) from exc
    for error in found:
        errors.extend(_field_errors(error))
    if errors:
        raise FormInvalid(errors)
    return clean


# Validators by form: a deployed form's schema is one object for the life of the bundle (bundles are immutable and
# cached), so its validator is built once, not on every submission. The schema is held with its validator, so its id
# cannot be taken by another object while the entry exists; a schema built per call simply misses.
_VALIDATORS: dict[tuple[int, int, int], tuple[dict[str, Any], Any]] = {}


def _validator_for(schema: dict[str, Any], allowed: set[str]) -> Any:
    limits = current_limits()
    key = (id(schema), limits.max_rows, limits.max_field_chars)
    found = _VALIDATORS.get(key)
    if found is not None and found[0] is schema:
        return found[1]
    check_schema = dict(schema)
    # Read-only fields show context from the process; the user neither supplies nor overwrites them.
    check_schema["required"] = [r for r in schema.get("required", []) if r in allowed]
    check_schema = with_default_bounds(check_schema, limits.max_rows, limits.max_field_chars)
    validator = _Validator(check_schema, format_checker=_FORMAT_CHECKER, registry=_REGISTRY)
    if len(_VALIDATORS) >= 1024:
        _VALIDATORS.clear()
    _VALIDATORS[key] = (schema, validator)
    return validator


def with_default_bounds(schema: dict[str, Any], max_rows: int, max_chars: int) -> dict[str, Any]:
    """Return a copy of ``schema`` in which every array without ``maxItems`` has ``max_rows`` and every string
    without ``maxLength`` has ``max_chars`` (SMK_MAX_ROWS, SMK_MAX_FIELD_CHARS): no submission is unbounded."""
    def bound(node: Any) -> Any:
        if isinstance(node, list):
            return [bound(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: (value if key in ("enum", "const", "default", "examples") else bound(value))
               for key, value in node.items()}
        declared = node.get("type")
        types = declared if isinstance(declared, list) else [declared]
        if "array" in types and "maxItems" not in node:
            out["maxItems"] = max_rows
        if "string" in types and "maxLength" not in node:
            out["maxLength"] = max_chars
        return out

    return bound(schema)


def _non_finite(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, f"{path}.{index}" if path else str(index))


def _field_errors(error: jsonschema.ValidationError) -> list[FieldError]:
    base = ".".join(str(p) for p in error.absolute_path)
    code = f"form.{error.validator}"
    if error.validator == "required":
        missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
        return [FieldError(f"{base}.{m}" if base else m, Message(code, _MESSAGES["required"])) for m in missing]
    template = _MESSAGES.get(str(error.validator))
    if template is None:
        return [FieldError(base, Message(code, VERBATIM, {"detail": error.message}))]
    return [FieldError(base, Message(code, template, {"v": error.validator_value}))]
