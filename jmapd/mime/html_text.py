"""HTML to plain text, for previews and search (RFC 8621 §4.1.4 preview).

Not a renderer: it keeps the words a reader would see, in order, with line
breaks where blocks end. Script, style and other non-content elements are
dropped; entities are decoded.

It is one regular-expression pass over the tags plus ``html.unescape``
rather than an ``html.parser`` tokenizer: the tokenizer costs several
microseconds per tag, which made HTML mail dominate import time. Like the
tokenizer, it accepts any string, however malformed.
"""

from __future__ import annotations

import html
import re

__all__ = ["html_to_text"]

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# Elements whose content is not visible text. An unclosed one runs to the end,
# as browsers treat it.
_HIDDEN_NAMES = ("script", "style", "title", "template", "noscript", "svg", "math", "object", "iframe", "xml")
_HIDDEN = re.compile(
    r"<(" + "|".join(_HIDDEN_NAMES) + r")\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.S | re.I,
)
_BLOCK = frozenset(
    "address article aside blockquote body br caption center dd div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section table "
    "tbody tfoot thead tr ul".split()
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*>|<[!?/][^>]*>")


def _tag(m: re.Match) -> str:
    name = m.group(2)
    if name is None:
        return ""
    name = name.lower()
    if name in _BLOCK:
        return "\n"
    if name == "td" or name == "th":
        return " "
    return ""


# Attributes whose text is shown to people (RFC 8621 §4.4.1: searched, though not displayed inline).
_SHOWN_ATTRIBUTE = re.compile(r"""\b(?:alt|title)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _tag_with_attributes(m: re.Match) -> str:
    shown = " ".join(a or b or c for a, b, c in _SHOWN_ATTRIBUTE.findall(m.group(0)))
    return _tag(m) + (" " + shown + " " if shown else "")


def html_to_text(source: str, *, attributes: bool = False) -> str:
    """Visible text of an HTML document, one line per block, white space collapsed.

    Empty lines are dropped: nested blocks would otherwise leave runs of them,
    and neither previews nor search need paragraph spacing. With `attributes`,
    the text of alt and title attributes is kept too: search should find it,
    previews should not show it.
    """
    text = source.replace("\r", " ").replace("\n", " ")
    if "<!--" in text:
        text = _COMMENT.sub("", text)
    low = text.lower()
    if any("<" + n in low for n in _HIDDEN_NAMES):
        text = _HIDDEN.sub("", text)
    text = _TAG.sub(_tag_with_attributes if attributes else _tag, text)
    if "&" in text:
        text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)
