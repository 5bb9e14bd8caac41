"""How a command fails: `BAD` for what cannot be parsed or is not allowed now, `NO` for what was
understood and refused (RFC 9051 §7.1), each with an optional response code (§7.1 resp-text-code)."""

from __future__ import annotations


class ImapError(Exception):
    status = "NO"

    def __init__(self, text: str, code: str | None = None):
        super().__init__(text)
        self.text = text
        self.code = code

    def line(self, tag: str) -> bytes:
        code = f"[{self.code}] " if self.code else ""
        return f"{tag} {self.status} {code}{self.text}\r\n".encode("utf-8", "replace")


class No(ImapError):
    status = "NO"


class Bad(ImapError):
    status = "BAD"


class ParseError(Bad):
    """The command's syntax is wrong."""
