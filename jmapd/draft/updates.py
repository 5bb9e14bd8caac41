"""Draft updates name whole property values, not RFC 8620 patches, and may repeat properties a
client cannot change: those are accepted while they equal the current value (draft §2.3.3, §5.3.2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def split_update(obj: Any, current: dict[str, Any] | None, *, mutable: Iterable[str],
                 known: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the properties to change, or None and the invalidProperties SetError refusing the update).

    `current` is the record as the draft shows it, or None if there is none (the RFC 8621 method
    then answers notFound).
    """
    if not isinstance(obj, dict):
        return {}, {"type": "invalidProperties", "properties": [], "description": "an update must be an object"}
    mutable, known = frozenset(mutable), frozenset(known)
    changes: dict[str, Any] = {}
    bad: list[str] = []
    for prop, value in obj.items():
        if prop in mutable:
            changes[prop] = value
        elif prop not in known or current is None or current.get(prop) != value:
            bad.append(prop)
    if bad and current is not None:
        return {}, {"type": "invalidProperties", "properties": sorted(bad),
                    "description": "these properties are unknown, immutable or set by the server"}
    return changes, None
