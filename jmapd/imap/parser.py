"""Reading IMAP commands (RFC 9051 §9, the formal syntax), by hand and strictly.

A command reaches the parser whole: the connection has already read its lines and the literals
between them (`{n}` CRLF then n octets), each within its size limit, so parsing never waits on the
network. Anything malformed raises `ParseError`, which the connection answers with `BAD` and the
reason: a client's mistake never costs its connection.
"""

from __future__ import annotations

import re

from .errors import ParseError

MAX_NUMBER = 0xFFFFFFFF  # nz-number and UIDs are 32-bit (RFC 9051 §9 "number")
_ATOM_SPECIALS = set(b'(){ %*"\\]') | set(range(0x00, 0x20)) | {0x7F}
_ATOM_CHARS = bytes(c for c in range(0x21, 0x7F) if c not in _ATOM_SPECIALS)
_ASTRING_CHARS = _ATOM_CHARS + b"]"
_TAG_CHARS = bytes(c for c in _ASTRING_CHARS if c != ord("+"))
# A run of the characters of a set, as one regular expression per set (read in C, not a loop).
_RUNS: dict[bytes, re.Pattern[bytes]] = {}
_LITERAL = re.compile(rb"~?\{(\d{1,10})(\+?)\}\r\n")
_SEQUENCE = re.compile(rb"(?:\d+|\*)(?::(?:\d+|\*))?(?:,(?:\d+|\*)(?::(?:\d+|\*))?)*")


class Parser:
    """A cursor over one command's octets."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        # What a command's cost check parsed (with where it started and ended), for its handler
        # to take rather than parse again.
        self.prepared: tuple | None = None

    # -- primitives --------------------------------------------------------------------------------
    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def end(self) -> None:
        if not self.at_end():
            raise ParseError(f"unexpected characters at the end: {self.data[self.pos:self.pos + 20]!r}")

    def sp(self) -> None:
        if self.peek() != 0x20:
            raise ParseError("expected a space")
        self.pos += 1

    def maybe_sp(self) -> bool:
        if self.peek() == 0x20:
            self.pos += 1
            return True
        return False

    def expect(self, text: bytes) -> None:
        if self.data[self.pos:self.pos + len(text)].upper() != text.upper():
            raise ParseError(f"expected {text.decode()}")
        self.pos += len(text)

    def accept(self, text: bytes) -> bool:
        if self.data[self.pos:self.pos + len(text)].upper() == text.upper():
            self.pos += len(text)
            return True
        return False

    def _run(self, allowed: bytes) -> bytes:
        pattern = _RUNS.get(allowed)
        if pattern is None:
            pattern = _RUNS[allowed] = re.compile(b"[" + b"".join(re.escape(bytes([c])) for c in allowed) + b"]*")
        m = pattern.match(self.data, self.pos)
        self.pos = m.end()
        return m.group()

    def atom(self) -> str:
        value = self._run(_ATOM_CHARS)
        if not value:
            raise ParseError("expected an atom")
        return value.decode("ascii")

    def tag(self) -> str:
        value = self._run(_TAG_CHARS)
        if not value:
            raise ParseError("expected a tag")
        return value.decode("ascii")

    def number(self, nonzero: bool = False) -> int:
        digits = self._run(b"0123456789")
        if not digits:
            raise ParseError("expected a number")
        value = int(digits)
        if value > MAX_NUMBER or (nonzero and value == 0):
            raise ParseError(f"number out of range: {digits.decode()}")
        return value

    def number64(self) -> int:
        """mod-sequence-value (RFC 7162): up to 2^63 - 1."""
        digits = self._run(b"0123456789")
        if not digits or len(digits) > 19 or int(digits) >= 2**63:
            raise ParseError("expected a mod-sequence value")
        return int(digits)

    def quoted(self) -> bytes:
        if self.peek() != 0x22:
            raise ParseError("expected a quoted string")
        self.pos += 1
        out = bytearray()
        data = self.data
        while self.pos < len(data):
            c = data[self.pos]
            self.pos += 1
            if c == 0x22:
                return bytes(out)
            if c == 0x5C:
                if self.pos >= len(data) or data[self.pos] not in b'"\\':
                    raise ParseError("bad escape in a quoted string")
                c = data[self.pos]
                self.pos += 1
            elif c in (0x0D, 0x0A, 0x00):
                raise ParseError("line break inside a quoted string")
            out.append(c)
        raise ParseError("unterminated quoted string")

    def literal(self) -> bytes:
        m = _LITERAL.match(self.data, self.pos)
        if m is None:
            raise ParseError("expected a literal")
        size = int(m.group(1))
        start = m.end()
        if start + size > len(self.data):
            raise ParseError("literal shorter than announced")
        self.pos = start + size
        return self.data[start:self.pos]

    def is_literal(self) -> bool:
        return self.peek() in (0x7B, 0x7E)

    def string(self) -> bytes:
        return self.literal() if self.is_literal() else self.quoted()

    def astring(self) -> bytes:
        c = self.peek()
        if c == 0x22:
            return self.quoted()
        if c in (0x7B, 0x7E):
            return self.literal()
        value = self._run(_ASTRING_CHARS)
        if not value:
            raise ParseError("expected a string")
        return value

    def astr(self) -> str:
        return self.astring().decode("utf-8", "replace")

    def nstring(self) -> bytes | None:
        if self.accept(b"NIL"):
            return None
        return self.string()

    def list_mailbox(self) -> str:
        """list-mailbox: an astring, or atom characters plus the wildcards % and *."""
        c = self.peek()
        if c in (0x22, 0x7B, 0x7E):
            return self.astr()
        value = self._run(_ASTRING_CHARS + b"%*")
        if not value:
            raise ParseError("expected a mailbox pattern")
        return value.decode("utf-8", "replace")

    def flag_list(self) -> list[str]:
        """`(` flag *(SP flag) `)`, or one bare flag (as STORE allows)."""
        if self.peek() != 0x28:
            return [self.flag()]
        self.pos += 1
        flags = []
        if self.peek() == 0x29:
            self.pos += 1
            return flags
        while True:
            flags.append(self.flag())
            if self.peek() == 0x29:
                self.pos += 1
                return flags
            self.sp()

    def flag(self) -> str:
        if self.peek() == 0x5C:
            self.pos += 1
            if self.accept(b"*"):
                return "\\*"
            return "\\" + self.atom()
        return self.atom()

    def open_paren(self) -> bool:
        if self.peek() == 0x28:
            self.pos += 1
            return True
        return False

    def close_paren(self) -> None:
        if self.peek() != 0x29:
            raise ParseError("expected )")
        self.pos += 1

    def sequence_set(self) -> "SequenceSet":
        """sequence-set (RFC 9051 §9): numbers, ranges, `*`, and `$` (RFC 5182, the last search)."""
        if self.accept(b"$"):
            return SequenceSet([], saved=True)
        m = _SEQUENCE.match(self.data, self.pos)
        if m is not None and self.data[m.end():m.end() + 1] not in (b",", b":"):
            # the whole set at once (a mail app sends fifty UIDs at a time); anything odd is read
            # number by number below, for its error
            text = m.group()
            self.pos = m.end()
            if b":" not in text and b"*" not in text:
                numbers = [int(n) for n in text.split(b",")]
                if 0 < min(numbers) and max(numbers) <= MAX_NUMBER:
                    return SequenceSet([(n, n) for n in numbers], numbers=numbers)
            ranges = []
            for element in text.split(b","):
                first, _, last = element.partition(b":")
                a = self._set_number(first)
                ranges.append((a, self._set_number(last) if last else a))
            return SequenceSet(ranges)
        ranges = []
        while True:
            first = self._seq_number()
            last = first
            if self.accept(b":"):
                last = self._seq_number()
            ranges.append((first, last))
            if not self.accept(b","):
                return SequenceSet(ranges)

    @staticmethod
    def _set_number(digits: bytes) -> int | None:
        if digits == b"*":
            return None
        value = int(digits)
        if value > MAX_NUMBER or value == 0:
            raise ParseError(f"number out of range: {digits.decode()}")
        return value

    def _seq_number(self) -> int | None:
        if self.accept(b"*"):
            return None
        return self.number(nonzero=True)

    def date(self) -> str:
        """date (RFC 9051 §9): d-MMM-yyyy, bare or quoted."""
        if self.peek() == 0x22:
            return self.quoted().decode("ascii", "replace")
        return self.atom()


class SequenceSet:
    """Ranges of numbers where None stands for `*`, the largest in use (RFC 9051 §9 seq-range)."""

    def __init__(self, ranges: list[tuple[int | None, int | None]], saved: bool = False,
                 numbers: list[int] | None = None):
        self.ranges = ranges
        self.saved = saved
        # The numbers themselves when the set is nothing else (a list view's fifty UIDs): what
        # the mailbox's selection reads without going through ranges.
        self.numbers = numbers

    def resolve(self, largest: int) -> list[tuple[int, int]]:
        """(low, high) pairs with `*` as `largest` (0 when the mailbox is empty)."""
        if self.numbers is not None:
            return self.ranges  # no `*` in it: nothing to resolve
        out = []
        for first, last in self.ranges:
            a = largest if first is None else first
            b = largest if last is None else last
            out.append((min(a, b), max(a, b)))
        return out

    def contains(self, n: int, largest: int) -> bool:
        return any(a <= n <= b for a, b in self.resolve(largest))

    def __repr__(self) -> str:
        return f"SequenceSet({self.ranges})"
