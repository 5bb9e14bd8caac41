"""Running the real `jmapd` command, as a newcomer or an operator would, and what its mistakes look like."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

JMAPD = str(Path(sys.executable).with_name("jmapd"))


class Cli:
    path = JMAPD

    def run(self, *args: str, stdin=subprocess.DEVNULL, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([JMAPD, *args], capture_output=True, text=True, timeout=60, stdin=stdin, **kw)

    def mistake(self, done: subprocess.CompletedProcess, *words: str) -> str:
        """Issue 20, finding 10: a mistake is one line on standard error naming the problem and the
        fix, exit status 2, never a traceback. Returns the line."""
        assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("jmapd: "), done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        for word in words:
            assert word in lines[0], (word, lines[0])
        return lines[0]


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli()
