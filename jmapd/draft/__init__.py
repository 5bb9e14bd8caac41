"""The draft JMAP-for-Mail dialect (draft-jenkins-jmapmail-00), over the same store.

Clients of the draft's time send a bare array of [name, arguments, clientId] to their own endpoint
and call getMessageList, getMessages, setMessages and the like. Each draft method here is a thin
translation onto the RFC 8621 methods of jmapd/methods (called in-process, under the same request
context): the draft's objects are shown from the same records, and its changes are made by the same
code, so both dialects see the same states. No query, set or count is implemented twice.

- `wire.py`: the draft's request and response arrays;
- `dialect.py`: the method registry, the engine that runs it, and the Session capability;
- one module per data type: `mailboxes`, `message_list`, `threads`, `messages` (with
  `message_model`, the Message object), `set_messages`, `import_copy`, `report`, `snippets`;
  `filters` and `updates` are the translations several of them share.
"""

from .dialect import DRAFT, DRAFT_PATH, Dialect, capability
from .wire import decode_calls

__all__ = ["DRAFT", "DRAFT_PATH", "Dialect", "capability", "decode_calls"]
