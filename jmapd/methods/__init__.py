"""The JMAP frontend: method handlers over the mail layer, one package per data type.

Arguments, properties, SetErrors and the generic standard methods live here; what a change does to
the store is the mail layer's (jmapd/mail). `build_registry` lists what the server speaks.
"""

from __future__ import annotations

from ..protocol.engine import Registry
from . import blob, core, email, mailbox, push_subscription, quota, search_snippet, thread
from . import email_submission, identity, vacation_response


def build_registry() -> Registry:
    registry = Registry()
    core.register(registry)
    blob.register(registry)
    mailbox.register(registry)
    email.register(registry)
    thread.register(registry)
    search_snippet.register(registry)
    identity.register(registry)
    email_submission.register(registry)
    vacation_response.register(registry)
    push_subscription.register(registry)
    quota.register(registry)
    return registry
