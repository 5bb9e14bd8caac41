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
