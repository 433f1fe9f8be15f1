"""What crosses the pipe back from a sandbox process: JSON with a small tagged encoding, decoded safely.

The parent trusts itself, so requests go to a child pickled. A child has run hostile code, so its reply is never
unpickled: it is JSON text in which plain dicts, lists, strings, numbers, booleans and None are themselves, and
the few other data types task data may hold are tagged objects ``{"$": tag, "v": value}``:

- ``Decimal`` (``"v"``: its string), ``date``/``datetime``/``time`` (ISO text), ``timedelta``
  (``[days, seconds, microseconds]``);
- ``tuple``, ``set``, ``frozenset`` (``"v"``: the items);
- ``dict`` whose keys are not all strings, or that has a ``"$"`` key (``"v"``: ``[[key, value], ...]``).

Anything else (functions, classes, iterators, timezone objects, subclasses that are not plain data) is refused
when encoding, in the child, and an unknown tag is refused when decoding, in the parent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .errors import SandboxError, SandboxResourceError, SandboxViolation

TAG = "$"


class WireError(SandboxError):
    """A reply could not be encoded (in the child) or decoded (in the parent)."""


def _plain(value: Any) -> Any:
    """Return value as a JSON-ready tree (iteratively: a deep value cannot overflow the C stack)."""
    root: list[Any] = [None]
    # (value, container to put the converted value in, key or index in that container)
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        item, into, key = stack.pop()
        kind = type(item)
        if item is None or kind is bool or kind is str or kind is float:
            into[key] = item
        elif kind is int:
            into[key] = item
        elif kind is list:
            out: list[Any] = [None] * len(item)
            into[key] = out
            stack.extend((child, out, i) for i, child in enumerate(item))
        elif kind is dict:
            if all(type(k) is str for k in item) and TAG not in item:
                obj: dict[str, Any] = dict.fromkeys(item)
                into[key] = obj
                stack.extend((child, obj, k) for k, child in item.items())
            else:
                pairs: list[Any] = [[None, None] for _ in item]
                into[key] = {TAG: "dict", "v": pairs}
                for pair, (k, child) in zip(pairs, item.items(), strict=True):
                    stack.append((k, pair, 0))
                    stack.append((child, pair, 1))
        elif kind in (tuple, set, frozenset):
            items: list[Any] = [None] * len(item)
            into[key] = {TAG: kind.__name__, "v": items}
            stack.extend((child, items, i) for i, child in enumerate(item))
        elif kind is Decimal:
            into[key] = {TAG: "Decimal", "v": str(item)}
        elif kind is datetime or kind is date or kind is time:
            into[key] = {TAG: kind.__name__, "v": item.isoformat()}
        elif kind is timedelta:
            into[key] = {TAG: "timedelta", "v": [item.days, item.seconds, item.microseconds]}
        elif isinstance(item, str):
            into[key] = str(item)  # a str subclass (an enum member, say) travels as its text
        elif isinstance(item, bool):
            into[key] = bool(item)
        elif isinstance(item, int):
            into[key] = int(item)
        elif isinstance(item, float):
            into[key] = float(item)
        else:
            raise SandboxViolation(
                f"a {kind.__name__} object cannot leave the sandbox; only plain data (numbers, strings, "
                f"dates, Decimal, lists, dicts, tuples, sets) may be returned")
    return root[0]


def encode(value: Any) -> bytes:
    """Encode a reply in the child; raises SandboxViolation for non-data, SandboxResourceError for huge ints."""
    try:
        return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    except ValueError as exc:  # e.g. an integer over CPython's 4,300-digit str() limit
        raise SandboxResourceError(f"the result cannot be sent back: {exc}") from None


#: Characters of an error message (or argument) a sandbox process sends back.
MAX_MESSAGE = 2_000


def scalar_args(err: BaseException) -> list[Any]:
    """Return the arguments of an error as they cross the wire: strings (shortened), None, bools, floats and small
    ints as themselves; if any other is among the first four, the error's text alone. The pool rebuilds the error
    from these (and the plain tier rebuilds its errors the same way, so both read the same)."""
    args = []
    for arg in err.args[:4]:
        if isinstance(arg, str):
            args.append(arg[:MAX_MESSAGE])
        elif arg is None or type(arg) in (bool, float) or (type(arg) is int and abs(arg) < 10**18):
            args.append(arg)
        else:
            return [str(err)[:MAX_MESSAGE]]
    return args


def _timedelta(v: Any) -> timedelta:
    days, seconds, micro = v
    return timedelta(days=days, seconds=seconds, microseconds=micro)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "Decimal": lambda v: Decimal(_text(v)),
    "datetime": lambda v: datetime.fromisoformat(_text(v)),
    "date": lambda v: date.fromisoformat(_text(v)),
    "time": lambda v: time.fromisoformat(_text(v)),
    "timedelta": _timedelta,
    "tuple": lambda v: tuple(_items(v)),
    "set": lambda v: set(_items(v)),
    "frozenset": lambda v: frozenset(_items(v)),
    "dict": lambda v: {k: val for k, val in _items(v)},
}


def _text(v: Any) -> str:
    if type(v) is not str or len(v) > 100:
        raise ValueError("bad scalar")
    return v


def _items(v: Any) -> list[Any]:
    if type(v) is not list:
        raise ValueError("bad items")
    return v


def _hook(obj: dict[str, Any]) -> Any:
    if TAG not in obj:
        return obj
    if len(obj) != 2 or "v" not in obj or obj[TAG] not in _DECODERS:
        raise ValueError(f"unknown tag {str(obj.get(TAG))[:40]!r}")
    return _DECODERS[obj[TAG]](obj["v"])


def decode(data: bytes) -> Any:
    """Decode a child's reply in the parent; anything malformed raises WireError (never runs code)."""
    try:
        return json.loads(data.decode("utf-8", "surrogatepass"), object_hook=_hook)
    except (ValueError, TypeError, RecursionError, ArithmeticError) as exc:
        raise WireError(f"the sandbox process sent a malformed reply ({type(exc).__name__})") from None


__all__ = ["MAX_MESSAGE", "WireError", "decode", "encode", "scalar_args"]
