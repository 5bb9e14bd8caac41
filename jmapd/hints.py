"""How to spell a jmapd command in a hint, so that a newcomer can paste it as printed.

After `make serve` the program is at `.venv/bin/jmapd`, not on the PATH: a hint saying `jmapd user
passwd ...` would answer "command not found" (issue 20, finding 10).
"""

from __future__ import annotations

import os
import shutil
import sys


def jmapd_command() -> str:
    """`jmapd` when that name runs this program, else the path to it (relative when shorter)."""
    candidates = [sys.argv[0]] if os.path.basename(sys.argv[0]) == "jmapd" else []
    candidates.append(os.path.join(os.path.dirname(sys.executable), "jmapd"))
    for path in candidates:
        if not os.path.isfile(path):
            continue
        on_path = shutil.which("jmapd")
        if on_path and os.path.realpath(on_path) == os.path.realpath(path):
            return "jmapd"
        relative = os.path.relpath(path)
        shown = relative if not relative.startswith("..") else os.path.abspath(path)
        return shown if os.sep in shown else "./" + shown
    return "jmapd"
