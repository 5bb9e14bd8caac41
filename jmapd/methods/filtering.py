"""Filter trees and multi-key sorts over records (RFC 8620 §5.5), shared by every data type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol.errors import MethodError, invalid_arguments
from .args import Comparator

Predicate = Callable[[str, Any], bool]
SortKey = Callable[[str, Any], Any]


def build_filter(node: Any, condition: Callable[[dict[str, Any]], Predicate]) -> Predicate:
    """A predicate for a FilterOperator/FilterCondition tree; `condition` compiles one leaf."""
    if not isinstance(node, dict):
        raise invalid_arguments("a filter must be a FilterOperator or FilterCondition object")
    if "operator" not in node:
        return condition(node)
    operator, conditions = node.get("operator"), node.get("conditions")
    if set(node) - {"operator", "conditions"}:
        raise invalid_arguments("a FilterOperator has only 'operator' and 'conditions'")
    if operator not in ("AND", "OR", "NOT") or not isinstance(conditions, list):
        raise invalid_arguments("a FilterOperator needs operator AND, OR or NOT and a conditions array")
    parts = [build_filter(c, condition) for c in conditions]
    if operator == "AND":
        return lambda i, r: all(p(i, r) for p in parts)
    if operator == "OR":
        return lambda i, r: any(p(i, r) for p in parts)
    return lambda i, r: not any(p(i, r) for p in parts)


def check_collation(comparator: Comparator, supported: list[str]) -> None:
    if comparator.collation is not None and comparator.collation not in supported:
        raise MethodError("unsupportedSort", f"unknown collation {comparator.collation!r}")


def sort_rows(rows: list[tuple[str, Any]], keys: list[tuple[SortKey, bool]]) -> None:
    """Sort in place by several keys; ties keep their order, so callers pre-sort by id for stability.

    Python's sort is stable, so sorting by the last key first yields the multi-key order.
    """
    for key, ascending in reversed(keys):
        rows.sort(key=lambda row: key(*row), reverse=not ascending)


def casemap(value: str | None) -> str:
    """i;unicode-casemap (RFC 5051) approximated by full Unicode case folding."""
    return (value or "").casefold()
