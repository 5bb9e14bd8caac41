"""`jmapd serve --ephemeral` (or `--test-mode`): a test server in its own process.

Once the Session is served it prints exactly one line of JSON on standard output (sessionUrl,
apiUrl, users with passwords and account ids, adminUrl, adminToken, pid), so a harness in any
language reads one line and starts testing; it stops on SIGTERM or SIGINT and removes its
temporary data folder.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from .options import Options
from .seeds import SeedError
from .server import Server


class TestServerError(Exception):
    """The test server cannot start as asked; one line says why."""


def serve(options: Options) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server = Server(options=options)
    except ValueError as exc:
        raise TestServerError(str(exc)) from None
    try:
        server.start()
    except SeedError as exc:
        raise TestServerError(str(exc)) from None
    except OSError as exc:
        raise TestServerError(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}") from None
    try:
        sys.stdout.write(json.dumps(server.info()) + "\n")
        sys.stdout.flush()
        stop.wait()
    finally:
        server.stop()
    return 0
