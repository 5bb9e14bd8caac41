"""IDLE (RFC 9051 §6.3.13, RFC 2177): wait for changes and report them as they happen.

The session subscribes to its account's state changes with the push Broadcaster, the same one
behind JMAP's EventSource: commits in this process wake it at once, and commits of other processes
(other server workers, `jmapd` commands) within the Broadcaster's polling interval.
"""

from __future__ import annotations

import asyncio

from store.users import normalize

from ..push.broadcaster import Subscriber
from .errors import Bad
from .parser import Parser
from .session import Session

IDLE_LIMIT = 31 * 60.0  # a client must re-IDLE within 29 minutes; after 31 the connection is idle


async def idle(session: Session, tag: str, p: Parser) -> str | None:
    p.end()
    broadcaster = session.service.broadcaster
    sub = Subscriber(user=normalize(session.user.name), accounts=frozenset({session.account_id}),
                     types=frozenset({"Email", "Mailbox"}))
    broadcaster.subscribe(sub)
    try:
        await asyncio.to_thread(session.catch_up)
        session.write(b"+ idling\r\n")
        await session.out.flush()
        reading = asyncio.ensure_future(session.read_line(IDLE_LIMIT))
        try:
            while True:
                waiting = asyncio.ensure_future(sub.queue.get())
                done, _ = await asyncio.wait({reading, waiting}, return_when=asyncio.FIRST_COMPLETED)
                if reading in done:
                    waiting.cancel()
                    try:
                        line = reading.result()
                    except (asyncio.TimeoutError, TimeoutError):
                        session.write(b"* BYE autologout: idle for too long\r\n")
                        session.logged_out = True
                        return None
                    if line.strip().upper() != b"DONE":
                        raise Bad("expected DONE")
                    return "IDLE terminated"
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                # Events only say when to look (the changes are read from the store), so a burst
                # that overflowed the buffer loses nothing: listen on.
                sub.dropped = False
                await asyncio.to_thread(session.catch_up)
                await session.out.flush()
        finally:
            if not reading.done():
                reading.cancel()
    finally:
        broadcaster.unsubscribe(sub)
