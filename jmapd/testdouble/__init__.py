"""jmapd as a test double: the JMAP server a client developer starts in one line.

In-process (`Server(users=["alice"], seed="demo")`, the pytest plugin's fixtures) or as a subprocess
(`jmapd serve --ephemeral`, which prints one line of JSON with everything a harness in any language
needs). A temporary data folder, seeded accounts that reset fast between tests, a fixed clock when
asked for, and faults switched on at run time through an admin API that exists only in test mode
and answers only loopback peers.
"""

from .options import Options
from .server import Server

__all__ = ["Options", "Server"]
