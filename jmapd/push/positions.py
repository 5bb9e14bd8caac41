"""Push positions: the EventSource event id and the WebSocket pushState (RFC 8620 §7.3, RFC 8887
§4.3.5), from which a reconnecting client learns what it missed.

A position is the largest modseq reported per account ("a1b2c3d4:42,a5e6f7a8:7"). Every state of an
account is one of its modseqs, so the types changed since a position are exactly those whose state
is greater than the position's number for that account.
"""

from __future__ import annotations

Position = dict[str, int]

MAX_LENGTH = 8192


def encode_position(position: Position) -> str:
    return ",".join(f"{account_id}:{modseq}" for account_id, modseq in sorted(position.items()))


def parse_position(text: str | None) -> Position | None:
    """The position a client sent back, or None if it is not one of ours (then nothing is replayed)."""
    if not text or len(text) > MAX_LENGTH:
        return None
    position: Position = {}
    for item in text.split(","):
        account_id, sep, modseq = item.rpartition(":")
        if not sep or not account_id or not modseq.isdigit() or len(modseq) > 19:
            return None
        position[account_id] = int(modseq)
    return position
