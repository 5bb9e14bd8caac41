"""MIME parsing: stored message octets to the RFC 8621 §4.1 Email model.

Pure functions and objects, no I/O. Entry point::

    msg = parse_message(raw, blob_id)      # never raises
    msg.properties({"subject", "from", "preview"})
    msg.body_structure(); msg.text_body(); msg.html_body(); msg.attachments()
    msg.body_values(["1"], max_bytes=256)
    msg.part_content("2")                  # (octets, type, name) for a part blob
    summarize(msg)                         # EmailSummary for list views/search

Leaf parts are numbered "1", "2", ... depth-first; a leaf's blobId is
``part_blob_id(blob_id, part_id)``. Header forms are checked against the
field with ``form_allowed``; ``parse_header_property`` splits
``header:Name:asForm:all`` properties.
"""

from .headers import FORMS, form_allowed, parse_header_property
from .html_text import html_to_text
from .message import CONVENIENCE_HEADERS, Message, parse_message
from .parse import has_header_section
from .structure import BODY_PROPERTIES, DEFAULT_BODY_PROPERTIES, part_blob_id, split_part_blob_id
from .summary import EmailSummary, summarize

__all__ = [
    "parse_message",
    "has_header_section",
    "Message",
    "part_blob_id",
    "split_part_blob_id",
    "form_allowed",
    "parse_header_property",
    "FORMS",
    "CONVENIENCE_HEADERS",
    "DEFAULT_BODY_PROPERTIES",
    "BODY_PROPERTIES",
    "html_to_text",
    "EmailSummary",
    "summarize",
]
