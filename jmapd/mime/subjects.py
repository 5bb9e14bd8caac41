"""The subject that threading compares: what remains once reply and forward prefixes, list tags
and "(fwd)" trailers are gone, in the spirit of RFC 5256 §2.1, with the prefixes of the languages
mail clients commonly write ("AW:", "SV:", "Antw:"...).

A text concern of its own, so that the processes that parse imported messages can work it out too.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|antw|vs|ref|tr|wg)\s*(?:\[\d+\])?\s*[:：]\s*|\[[^\]]{1,40}\]\s*)",
                     re.IGNORECASE)
_TRAILER = re.compile(r"\s*\((?:fwd|fw)\)\s*$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def base_subject(subject: str | None) -> str:
    """The subject without reply/forward prefixes and list tags (in the spirit of RFC 5256 §2.1)."""
    text = _SPACE.sub(" ", subject or "").strip()
    while True:
        stripped = _TRAILER.sub("", _PREFIX.sub("", text, count=1)).strip()
        if stripped == text:
            return text.casefold()
        text = stripped


# -- RFC 5256 §2.1, exactly: what IMAP SORT and THREAD compare ------------------------------------
_BLOB = r"\[[^\[\]]*\][ \t]*"
_REFWD = r"(?:re|fwd?)[ \t]*(?:" + _BLOB + r")?:"
_LEADER = re.compile(r"^(?:(?:" + _BLOB + r")*" + _REFWD + r"|[ \t])", re.IGNORECASE)
_LEADING_BLOB = re.compile(r"^" + _BLOB)
_FWD_TRAILER = re.compile(r"\(fwd\)$", re.IGNORECASE)
_WSP_RUN = re.compile(r"[ \t\r\n]+")


def imap_base_subject(subject: str | None) -> tuple[str, bool]:
    """(base subject, whether it was a reply or forward) by RFC 5256 §2.1's steps: "re:", "fw:",
    "fwd:" (with blobs such as "[list]" before or inside them), "(fwd)" trailers and "[fwd: ...]"
    wrappers removed, and nothing else, since IMAP clients compare THREAD and SORT answers across
    servers. The second value is what §4's REFERENCES step (5) asks of a subject; the base is
    upper-cased for comparing (i;ascii-casemap)."""
    text = _WSP_RUN.sub(" ", subject or "")  # (1) folding and tabs become single spaces
    refwd = False
    while True:
        while True:  # (2) trailers: "(fwd)" and white space
            if text.endswith(" "):
                text = text[:-1]
            elif _FWD_TRAILER.search(text):
                text, refwd = text[:-5], True
            else:
                break
        while True:  # (5) repeat (3) and (4)
            match = _LEADER.match(text)  # (3) a leader: blobs then re/fw/fwd, or one space
            if match:
                refwd = refwd or match.group(0).strip() != ""
                text = text[match.end():]
                continue
            match = _LEADING_BLOB.match(text)  # (4) a blob, when something remains after it
            if match and text[match.end():].strip():
                text = text[match.end():]
                continue
            break
        if text[:5].lower() == "[fwd:" and text.endswith("]"):  # (6) the "[fwd: ...]" wrapper
            text, refwd = text[5:-1], True
            continue
        return text.upper(), refwd
