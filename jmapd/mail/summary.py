"""The part of a message's summary that is stored with its Email record."""

from __future__ import annotations

import msgspec

from ..mime import EmailSummary


def list_view_summary(summary: EmailSummary) -> EmailSummary:
    """Without the search text: it can be a megabyte, and every list view would decode it.

    The full-text index gets the text when the message is indexed.
    """
    return msgspec.structs.replace(summary, body_text="", attachment_names=[])
