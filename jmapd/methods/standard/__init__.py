"""The standard methods of RFC 8620 §5, written once for every data type."""

from __future__ import annotations

from ...protocol.engine import Registry
from ..datatype import DataType
from .changes import changes
from .get import get
from .query import query
from .query_changes import query_changes
from .set import set_

METHODS = {"get": get, "changes": changes, "set": set_, "query": query, "queryChanges": query_changes}


def register(registry: Registry, dt: DataType, *verbs: str) -> None:
    """Register `Type/verb` for each verb, bound to the data type."""
    for verb in verbs:
        handler = METHODS[verb]
        registry.add(f"{dt.name}/{verb}", dt.capability, lambda call, args, h=handler: h(dt, call, args),
                     blocking=verb == "set")
