"""JMAP method handlers, one package per data type; `build_registry` lists what the server speaks."""

from __future__ import annotations

from ..protocol.engine import Registry
from . import blob, core, email, mailbox, search_snippet, thread


def build_registry() -> Registry:
    registry = Registry()
    core.register(registry)
    blob.register(registry)
    mailbox.register(registry)
    email.register(registry)
    thread.register(registry)
    search_snippet.register(registry)
    return registry
