"""ResultReference resolution (RFC 8620 §3.7)."""

from __future__ import annotations

from typing import Any

from .errors import MethodError, invalid_arguments
from .pointer import PointerError, evaluate


def resolve(args: dict[str, Any], responses: list[list[Any]]) -> dict[str, Any]:
    """Arguments with every `#name` reference replaced by the value it points at."""
    for key in args:
        if key[:1] == "#":
            break
    else:
        return args
    resolved: dict[str, Any] = {}
    for key, value in args.items():
        if not key.startswith("#"):
            resolved[key] = value
            continue
        name = key[1:]
        if name in args:
            raise invalid_arguments(f"argument {name!r} is given both plainly and as a reference")
        resolved[name] = _resolve_one(value, responses)
    return resolved


def _resolve_one(ref: Any, responses: list[list[Any]]) -> Any:
    if not isinstance(ref, dict) or not all(isinstance(ref.get(k), str) for k in ("resultOf", "name", "path")):
        raise MethodError("invalidResultReference", "a ResultReference needs string resultOf, name and path")
    # The first response of that call with that name: a call's implicit follow-on responses share its id.
    for response_name, response_args, call_id in responses:
        if call_id == ref["resultOf"] and response_name == ref["name"]:
            try:
                return evaluate(response_args, ref["path"])
            except PointerError as exc:
                raise MethodError("invalidResultReference", f"path {ref['path']!r}: {exc}") from None
    raise MethodError(
        "invalidResultReference", f"no earlier {ref['name']!r} response with method call id {ref['resultOf']!r}"
    )
