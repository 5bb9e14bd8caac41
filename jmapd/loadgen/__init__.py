"""`jmapd bench`: a closed-loop JMAP load generator for any RFC 8620/8621 server."""

from .cli import main

__all__ = ["main"]
