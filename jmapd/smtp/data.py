"""Reading the message after DATA (RFC 5321 §4.1.1.4, §4.5.2) in large pieces.

The client sends the message as lines ending in CRLF, a line of a single "." ends it, and a line
that starts with "." has another "." put in front ("dot-stuffing"), which the server removes.
aiosmtpd reads this a line at a time; here the whole of what has arrived is searched for the end
(CRLF "." CRLF) and unstuffed with bytes operations, with the same outcomes as aiosmtpd's loop:

- too long a line: any line (between two CRLFs, a bare LF inside it included) over
  `line_length_limit` octets with its CRLF (1001: 998 octets, CRLF and a transparent dot,
  RFC 5321 §4.5.3.1.6);
- too much data: more than the size limit, counted as sent (dots and CRLFs included, the final
  "." line not), RFC 1870 §6;
- when both happen, the one aiosmtpd would see first, reading line by line: a line too long for
  its reader (over `line_length_limit` octets without its CRLF) counts before its own octets do,
  a shorter one after them.

After a refusal the rest of the message is read and dropped (only a few octets are kept, to find
the end), so a large refused message takes no memory.
"""

from __future__ import annotations

import enum

TERMINATOR = b"\r\n.\r\n"


class DataState(enum.Enum):
    NOMINAL = "nominal"
    TOO_LONG = "too long"  # a line over the line limit
    TOO_MUCH = "too much"  # over the size limit


class DotData:
    """One message's data, fed as it arrives. `feed` tells when the end was seen; then `state`
    says whether it is refused and `content` is the unstuffed message."""

    def __init__(self, size_limit: int | None, line_length_limit: int = 1001):
        # The CRLF that ended the DATA command is put in front: the end of data is then always
        # CRLF "." CRLF, even for an empty message (".\r\n" right away).
        self._buffer = bytearray(b"\r\n")
        self._size_limit = size_limit or None
        self._line_limit = line_length_limit
        self._checked = 2  # where the first line whose length is not yet known starts
        self.state = DataState.NOMINAL
        self.content = b""

    def feed(self, chunk: bytes) -> int | None:
        """Take the next octets the client sent. When the end of data is among them, how many of
        them belong to the message (the rest are commands that follow); else None."""
        buffer = self._buffer
        before = len(buffer)
        buffer += chunk
        end = buffer.find(TERMINATOR, max(0, before - 4))
        body_end = len(buffer) if end < 0 else end + 2  # the message keeps the CRLF of its last line
        if self.state is DataState.NOMINAL:
            self._check(body_end, complete=end >= 0)
        if end < 0:
            if self.state is not DataState.NOMINAL and len(buffer) > 4:
                del buffer[:-4]  # refused: keep only what an end split across reads needs
            return None
        if self.state is DataState.NOMINAL:
            self.content = unstuff(bytes(buffer[2:body_end]))
        buffer.clear()
        return end + len(TERMINATOR) - before

    def _check(self, body_end: int, *, complete: bool) -> None:
        """Look at the lines that became known (and at the size), and refuse the message when
        one is too long or there is too much."""
        buffer, limit, line_limit = self._buffer, self._size_limit, self._line_limit
        start = self._checked
        last = buffer.rfind(b"\r\n", start, body_end)
        if last >= 0:  # lines from `start` to `last` are complete
            if last - start >= line_limit - 1 and self._find_long(start, last):
                return
            start = self._checked = last + 2
        if not complete:  # the line still arriving: too long already once past the reader's limit
            length = body_end - start - (buffer[body_end - 1:body_end] == b"\r")
            if length > line_limit:
                self._refuse(start - 2, length)
                return
        size = body_end - 2
        if limit is not None and size > limit and (complete or start - 2 > limit):
            # No line starting within the limit can still turn out too long first.
            self.state = DataState.TOO_MUCH

    def _find_long(self, start: int, last: int) -> bool:
        """Refuse for the first line over the limit between `start` and `last` (complete lines)."""
        lines = bytes(self._buffer[start:last]).split(b"\r\n")
        if max(map(len, lines)) + 2 <= self._line_limit:
            return False
        offset = start
        for line in lines:
            if len(line) + 2 > self._line_limit:
                self._refuse(offset - 2, len(line))
                return True
            offset += len(line) + 2
        return False

    def _refuse(self, line_start: int, length: int) -> None:
        """A line of `length` octets (CRLF not counted) starting at `line_start` of the message is
        too long: that is the refusal, unless the size limit was passed first."""
        limit = self._size_limit
        line_end = line_start + length + 2
        if limit is None or line_end <= limit or (length > self._line_limit and line_start <= limit):
            self.state = DataState.TOO_LONG
        else:
            self.state = DataState.TOO_MUCH


def unstuff(body: bytes) -> bytes:
    """The message with the dot each line starting with "." was given taken away (RFC 5321 §4.5.2)."""
    if body.startswith(b"."):
        body = body[1:]
    return body.replace(b"\r\n.", b"\r\n")
