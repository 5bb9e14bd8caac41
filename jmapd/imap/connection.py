"""One client connection: reading commands within their limits, running them, answering.

A command is read whole before it runs: its lines, each at most MAX_LINE octets, and the literals
between them (RFC 9051 §4.3, LITERAL+/LITERAL- RFC 7888), each within its limit (APPENDLIMIT for
APPEND, MAX_LITERAL otherwise). A synchronizing literal that is too large is refused before the
client sends it; a non-synchronizing one cannot be (the client is already sending), so the
connection says why and closes. A client that disconnects mid-command leaves nothing written.
"""

from __future__ import annotations

import asyncio
import logging
import re

from .commands import COMMANDS, UID_COMMANDS, Command
from .errors import Bad, ImapError
from .parser import Parser
from .session import Session

log = logging.getLogger("jmapd.imap")

MAX_LINE = 64 * 1024
MAX_LITERAL = 64 * 1024
PREAUTH_TIMEOUT = 60.0
AUTH_TIMEOUT = 31 * 60.0  # RFC 9051 §5.4: at least 30 minutes
_LITERAL_AT_END = re.compile(rb"~?\{(\d+)(\+?)\}\r?\n$")
_COMMAND_NAME = re.compile(rb"^\S+ +(?:UID +)?([A-Za-z]+)")


class TooBig(Exception):
    def __init__(self, tag: str, text: str, fatal: bool):
        super().__init__(text)
        self.tag = tag
        self.fatal = fatal


async def read_line(reader: asyncio.StreamReader, timeout: float | None = None) -> bytes:
    """One line (with its CRLF); a line over the limit is skipped and reported as BAD."""
    while True:
        try:
            return await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
        except asyncio.LimitOverrunError as exc:
            found = "is found" in str(exc)
            await reader.readexactly(exc.consumed + (1 if found else 0))
            if found:
                raise Bad(f"line longer than {MAX_LINE} octets") from None
            # keep discarding until the line ends
            while True:
                try:
                    await reader.readuntil(b"\n")
                    raise Bad(f"line longer than {MAX_LINE} octets") from None
                except asyncio.LimitOverrunError as more:
                    await reader.readexactly(more.consumed + (1 if "is found" in str(more) else 0))
                    if "is found" in str(more):
                        raise Bad(f"line longer than {MAX_LINE} octets") from None


async def read_command(session: Session, reader: asyncio.StreamReader, timeout: float) -> bytes:
    parts: list[bytes] = []
    total = 0
    first = await read_line(reader, timeout)
    line = first
    name_match = _COMMAND_NAME.match(first)
    is_append = name_match is not None and name_match.group(1).upper() == b"APPEND"
    tag = first.split(b" ", 1)[0].decode("ascii", "replace")[:64]
    limit = session.service.append_limit if is_append and session.user is not None else MAX_LITERAL
    while True:
        m = _LITERAL_AT_END.search(line)
        if m is None:
            parts.append(line[:-2] if line.endswith(b"\r\n") else line[:-1])
            return b"".join(parts)
        size, non_sync = int(m.group(1)), bool(m.group(2))
        total += size
        if size > limit or total > limit + MAX_LITERAL:
            raise TooBig(tag, f"literal of {size} octets is over the limit of {limit}", fatal=non_sync)
        if non_sync and size > 4096 and not is_append and session.user is None:
            raise TooBig(tag, "non-synchronizing literals over 4096 octets need a login first", fatal=True)
        if not non_sync:
            session.write(b"+ Ready for literal\r\n")
            await session.out.flush()
        data = await asyncio.wait_for(reader.readexactly(size), timeout)
        # Keep the literal marker and CRLF: the parser reads the literal from them.
        parts.append(line[:m.start()] + b"{%d}\r\n" % size + data)
        line = await read_line(reader, timeout)


async def serve(session: Session, reader: asyncio.StreamReader) -> None:
    session.read_line = lambda timeout=None: read_line(reader, timeout)
    greeting = f"* OK [CAPABILITY {session.service.capabilities(session)}] jmapd IMAP ready\r\n"
    session.write(greeting.encode())
    await session.out.flush()
    while not session.logged_out:
        timeout = PREAUTH_TIMEOUT if session.user is None else AUTH_TIMEOUT
        try:
            data = await read_command(session, reader, timeout)
        except Bad as exc:
            session.write(exc.line("*"))
            await session.out.flush()
            continue
        except TooBig as exc:
            session.write(f"{exc.tag} {'BAD' if exc.fatal else 'NO'} [TOOBIG] {exc}\r\n".encode())
            if exc.fatal:
                session.write(b"* BYE the literal cannot be accepted\r\n")
                await session.out.flush()
                return
            await session.out.flush()
            continue
        except (asyncio.TimeoutError, TimeoutError):
            session.write(b"* BYE autologout: idle for too long\r\n")
            await session.out.flush()
            return
        await run(session, data)
        await session.out.flush()


async def run(session: Session, data: bytes) -> None:
    p = Parser(data)
    try:
        tag = p.tag()
        p.sp()
        name = p.atom().upper()
    except ImapError:
        session.write(b"* BAD a command is a tag, a space and a command name\r\n")
        return
    command = COMMANDS.get(name)
    if name == "UID":
        try:
            p.sp()
            sub = p.atom().upper()
        except ImapError as exc:
            session.write(exc.line(tag))
            return
        command = UID_COMMANDS.get(sub)
        name = f"UID {sub}"
    if command is None:
        session.write(f"{tag} BAD unknown command {name[:40]}\r\n".encode())
        return
    if session.state not in command.states:
        if session.state == "notauth":
            where = "before logging in"
        elif "notauth" in command.states:
            where = "once logged in"
        else:
            where = "without a selected mailbox"
        session.write(f"{tag} BAD {name} is not allowed {where}\r\n".encode())
        return
    try:
        text = await _invoke(command, session, tag, p)
    except ImapError as exc:
        session.write(exc.line(tag))
    except (ConnectionError, asyncio.IncompleteReadError):
        raise  # the client went away: nothing to answer
    except Exception:
        log.exception("IMAP %s failed", name)
        session.write(f"{tag} NO [SERVERBUG] {name} failed on the server; see its log\r\n".encode())
    else:
        if text is not None:
            session.write(f"{tag} OK {text}\r\n".encode("utf-8", "replace"))


async def _invoke(command: Command, session: Session, tag: str, p: Parser) -> str | None:
    """Run the command, then report what other clients changed meanwhile (RFC 9051 §7), before
    its tagged response: on the event loop when its cost is bounded, where the catch-up costs
    one counter read when nothing changed; else both in one worker thread."""
    if command.may_block(session, p):
        return await asyncio.to_thread(_run_and_catch_up, command, session, tag, p)
    text = command.handler(session, tag, p)
    if asyncio.iscoroutine(text):
        text = await text
    if text is not None and session.changed(expunge=command.expunge_after):
        await asyncio.to_thread(session.catch_up, expunge=command.expunge_after)
    return text


def _run_and_catch_up(command: Command, session: Session, tag: str, p: Parser) -> str | None:
    text = command.handler(session, tag, p)
    if text is not None:
        session.catch_up(expunge=command.expunge_after)
    return text
