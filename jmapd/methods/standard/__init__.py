"""The standard methods of RFC 8620 §5, written once for every data type."""

from __future__ import annotations

from ...protocol.engine import Registry
from ..cost import get_may_block
from ..datatype import DataType
from .changes import changes
from .get import get
from .query import query
from .query_changes import query_changes
from .set import set_

METHODS = {"get": get, "changes": changes, "set": set_, "query": query, "queryChanges": query_changes}


def register(registry: Registry, dt: DataType, *verbs: str) -> None:
    """Register `Type/verb` for each verb, bound to the data type. A /get of a few named records
    is answered on the event loop; /set writes, and /changes, /query and /queryChanges read as
    far as the account and the client's state go: those leave it (jmapd.methods.cost)."""
    for verb in verbs:
        handler = METHODS[verb]
        registry.add(f"{dt.name}/{verb}", dt.capability, lambda call, args, h=handler: h(dt, call, args),
                     blocking=get_may_block if verb == "get" else True)
