"""Core/echo (RFC 8620 §4): answers with exactly the arguments it was given."""

from __future__ import annotations

from typing import Any

from ...protocol.capabilities import CORE
from ...protocol.engine import Call, Registry


def echo(call: Call, args: dict[str, Any]) -> dict[str, Any]:
    return args


def register(registry: Registry) -> None:
    registry.add("Core/echo", CORE, echo)
