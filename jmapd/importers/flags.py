"""Flags of other mail stores as JMAP keywords (RFC 8621 §4.1.1), and back.

IMAP system flags map to the `$` keywords RFC 8621 names; IMAP keywords are kept as they are
(lowercased: keywords are case-insensitive). Maildir's info letters, Dovecot's keyword letters and
Thunderbird's X-Mozilla-Status bits map onto the same keywords.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..mail.keywords import valid_keyword
from ..mail.placement import MAX_KEYWORDS

IMAP_SYSTEM = {"\\seen": "$seen", "\\answered": "$answered", "\\flagged": "$flagged", "\\draft": "$draft"}
#: \Recent is per session and \Deleted means "about to be expunged": neither is a keyword to keep.
IMAP_DROPPED = {"\\recent", "\\deleted", "\\*"}

MAILDIR_LETTERS = {"S": "$seen", "R": "$answered", "F": "$flagged", "D": "$draft", "P": "$forwarded"}
LETTER_FOR = {keyword: letter for letter, keyword in MAILDIR_LETTERS.items()}


def keywords(names: Iterable[str]) -> list[str]:
    """Valid keywords, lowercased, at most MAX_KEYWORDS: an odd flag on a source message is
    dropped rather than failing the message."""
    out = sorted({n.lower() for n in names if valid_keyword(n)})
    return out[:MAX_KEYWORDS]


def from_imap(flags: Iterable[str]) -> list[str]:
    names = []
    for flag in flags:
        lower = flag.lower()
        if lower in IMAP_DROPPED:
            continue
        names.append(IMAP_SYSTEM.get(lower, flag))
    return keywords(names)


def is_deleted_imap(flags: Iterable[str]) -> bool:
    return any(f.lower() == "\\deleted" for f in flags)


# -- Maildir ---------------------------------------------------------------------------------------
def from_maildir(info: str, custom: dict[str, str]) -> list[str]:
    """Keywords from the letters after `:2,`; lowercase letters are Dovecot's keywords (custom)."""
    names = []
    for letter in info:
        if letter in MAILDIR_LETTERS:
            names.append(MAILDIR_LETTERS[letter])
        elif letter in custom:
            names.append(custom[letter])
    return keywords(names)


def is_trashed_maildir(info: str) -> bool:
    return "T" in info


def to_maildir(keyword_list: Iterable[str], custom: dict[str, str]) -> str:
    """The info letters for these keywords (ASCII order, as Maildir asks); `custom` maps keywords
    to Dovecot letters and is extended with new ones while letters remain (a-z)."""
    letters = []
    for keyword in keyword_list:
        if keyword in LETTER_FOR:
            letters.append(LETTER_FOR[keyword])
            continue
        letter = custom.get(keyword)
        if letter is None and len(custom) < 26:
            letter = custom[keyword] = chr(ord("a") + len(custom))
        if letter is not None:
            letters.append(letter)
    return "".join(sorted(letters))


def read_dovecot_keywords(text: str) -> dict[str, str]:
    """`dovecot-keywords`: lines of "N name", N being the letter's index (0 is 'a')."""
    out = {}
    for line in text.splitlines():
        number, _, name = line.strip().partition(" ")
        if number.isdigit() and int(number) < 26 and name:
            out[chr(ord("a") + int(number))] = name
    return out


def write_dovecot_keywords(custom: dict[str, str]) -> str:
    return "".join(f"{ord(letter) - ord('a')} {keyword}\n" for keyword, letter in
                   sorted(custom.items(), key=lambda kv: kv[1]))


# -- mbox headers (Thunderbird, mutt, pine) --------------------------------------------------------
MOZ_READ, MOZ_REPLIED, MOZ_MARKED, MOZ_EXPUNGED, MOZ_FORWARDED = 0x1, 0x2, 0x4, 0x8, 0x1000
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_STATUS_HEADERS = re.compile(rb"^(X-Mozilla-Status|X-Mozilla-Keys|Status|X-Status|X-Keywords):[ \t]*(.*?)\r?$",
                             re.IGNORECASE | re.MULTILINE)


def from_mbox_headers(raw: bytes) -> tuple[list[str], bool]:
    """(keywords, expunged) from the status headers mail programs write into mbox files:
    Thunderbird's X-Mozilla-Status/-Keys, and Status/X-Status/X-Keywords of mutt, pine and Dovecot.
    Only the header section is read; the message's bytes are not changed."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw[:65536]
    names: list[str] = []
    expunged = False
    for match in _STATUS_HEADERS.finditer(head):
        name, value = match.group(1).lower(), match.group(2).decode("ascii", "replace").strip()
        if name == b"x-mozilla-status":
            try:
                bits = int(value, 16)
            except ValueError:
                continue
            names += [k for bit, k in ((MOZ_READ, "$seen"), (MOZ_REPLIED, "$answered"),
                                       (MOZ_MARKED, "$flagged"), (MOZ_FORWARDED, "$forwarded")) if bits & bit]
            expunged = expunged or bool(bits & MOZ_EXPUNGED)
        elif name in (b"x-mozilla-keys", b"x-keywords"):
            names += value.replace(",", " ").split()
        elif name == b"status":
            names += ["$seen"] if "R" in value else []
        elif name == b"x-status":
            names += [k for letter, k in (("A", "$answered"), ("F", "$flagged"), ("T", "$draft")) if letter in value]
            expunged = expunged or "D" in value
    return keywords(names), expunged
