"""JSON Pointer (RFC 6901) with the `*` array wildcard of RFC 8620 §3.7, and patch paths (§5.3)."""

from __future__ import annotations

from typing import Any

import msgspec


class PointerError(Exception):
    pass


def split(pointer: str) -> list[str]:
    """Reference tokens of a pointer; "" is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"a JSON Pointer starts with '/': {pointer!r}")
    return [unescape(token) for token in pointer[1:].split("/")]


def unescape(token: str) -> str:
    if "~" in token:
        for i, ch in enumerate(token):
            if ch == "~" and (i + 1 >= len(token) or token[i + 1] not in "01"):
                raise PointerError(f"bad escape in pointer token {token!r}")
        return token.replace("~1", "/").replace("~0", "~")
    return token


def evaluate(document: Any, pointer: str) -> Any:
    return _plain(_walk(document, split(pointer)))


def _plain(value: Any) -> Any:
    """A value with no /get answers still encoded in it (jmapd.rendered), as a method expects its
    arguments: JSON types only."""
    if isinstance(value, msgspec.Raw):
        return msgspec.json.decode(value)
    # Walking decodes what it passes through, so only a container it stops at can hold answers still
    # encoded: directly for a list (the /get list itself), anywhere below for an object.
    if isinstance(value, dict) or (isinstance(value, list) and msgspec.Raw in map(type, value)):
        return msgspec.json.decode(msgspec.json.encode(value))
    return value


def _walk(value: Any, tokens: list[str]) -> Any:
    if isinstance(value, msgspec.Raw):  # a /get answer kept encoded (jmapd.rendered)
        value = msgspec.json.decode(value)
    for i, token in enumerate(tokens):
        if isinstance(value, msgspec.Raw):
            value = msgspec.json.decode(value)
        if isinstance(value, dict):
            if token not in value:
                raise PointerError(f"no member {token!r}")
            value = value[token]
        elif isinstance(value, list):
            if token == "*":
                out: list[Any] = []
                for item in value:
                    result = _walk(item, tokens[i + 1 :])
                    if isinstance(result, list):
                        out.extend(result)
                    else:
                        out.append(result)
                return out
            if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
                raise PointerError(f"{token!r} is not an array index")
            index = int(token)
            if index >= len(value):
                raise PointerError(f"index {index} is past the end of the array")
            value = value[index]
        else:
            raise PointerError(f"cannot descend into a {type(value).__name__} with {token!r}")
    return value


def apply_patch(obj: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A patched copy of `obj` (RFC 8620 §5.3 PatchObject); raises PointerError for an invalid patch.

    Copies only the containers on each patched path, so the caller's object is never modified.
    """
    paths = []
    for key in patch:
        tokens = split("/" + key)
        if not tokens or tokens[0] == "":
            raise PointerError(f"empty patch path {key!r}")
        paths.append((tokens, patch[key]))
    ordered = sorted(paths, key=lambda p: p[0])
    for (a, _), (b, _) in zip(ordered, ordered[1:]):
        if b[: len(a)] == a:
            raise PointerError(f"patch paths overlap: {'/'.join(a)!r} and {'/'.join(b)!r}")
    result = dict(obj)
    for tokens, value in paths:
        parent = result
        for token in tokens[:-1]:
            child = parent.get(token) if isinstance(parent, dict) else None
            if not isinstance(child, dict):
                raise PointerError(f"patch path {'/'.join(tokens)!r} does not exist or points into an array")
            child = dict(child)
            parent[token] = child
            parent = child
        last = tokens[-1]
        if value is None and len(tokens) > 1:
            parent.pop(last, None)
        else:
            # A top-level null stays visible so the data type can apply the property's default.
            parent[last] = value
    return result
