"""Filter trees and multi-key sorts over records (RFC 8620 §5.5), shared by every data type.

Each condition and each comparator costs something per candidate record, so a /query is bounded in
both: a filter of at most MAX_FILTER_CONDITIONS objects nested at most MAX_FILTER_DEPTH deep
(unsupportedFilter past that: "syntactically valid, but the server cannot process it", §5.5), and
at most MAX_COMPARATORS distinct comparators (unsupportedSort). A comparator that repeats an earlier
one's key is dropped: two records equal on a key are equal on it again, in either direction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol.budget import check_budget
from ..protocol.errors import MethodError, invalid_arguments
from .args import Comparator

Predicate = Callable[[str, Any], bool]
SortKey = Callable[[str, Any], Any]

MAX_FILTER_CONDITIONS = 100
MAX_FILTER_DEPTH = 10
MAX_COMPARATORS = 16


def check_filter(node: Any) -> None:
    """A filter's shape and size, before anything walks it: every node an object, every operator
    AND, OR or NOT over an array (invalidArguments), within the bounds (unsupportedFilter)."""
    if node is None:
        return
    count = 0
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_FILTER_CONDITIONS:
            raise MethodError("unsupportedFilter", f"a filter may have at most {MAX_FILTER_CONDITIONS} "
                                                   "FilterOperators and FilterConditions")
        if depth > MAX_FILTER_DEPTH:
            raise MethodError("unsupportedFilter", f"a filter may nest at most {MAX_FILTER_DEPTH} deep")
        if not isinstance(item, dict):
            raise invalid_arguments("a filter must be a FilterOperator or FilterCondition object")
        if "operator" not in item:
            continue
        if set(item) - {"operator", "conditions"}:
            raise invalid_arguments("a FilterOperator has only 'operator' and 'conditions'")
        conditions = item.get("conditions")
        if item["operator"] not in ("AND", "OR", "NOT") or not isinstance(conditions, list):
            raise invalid_arguments("a FilterOperator needs operator AND, OR or NOT and a conditions array")
        stack.extend((child, depth + 1) for child in conditions)


def distinct_comparators(sort: list[Comparator] | None) -> list[Comparator]:
    """The comparators that can decide an order (see the module's docstring), within the bound."""
    seen: set[tuple[str, str | None, str | None]] = set()
    distinct: list[Comparator] = []
    for comparator in sort or []:
        key = (comparator.property, comparator.collation, comparator.keyword)
        if key not in seen:
            seen.add(key)
            distinct.append(comparator)
    if len(distinct) > MAX_COMPARATORS:
        raise MethodError("unsupportedSort", f"a sort may have at most {MAX_COMPARATORS} distinct comparators")
    return distinct


def build_filter(node: Any, condition: Callable[[dict[str, Any]], Predicate]) -> Predicate:
    """A predicate for a FilterOperator/FilterCondition tree; `condition` compiles one leaf."""
    check_filter(node)
    return _build(node, condition)


def _build(node: dict[str, Any], condition: Callable[[dict[str, Any]], Predicate]) -> Predicate:
    """`build_filter` for a tree `check_filter` passed."""
    if "operator" not in node:
        return condition(node)
    operator = node["operator"]
    parts = [_build(c, condition) for c in node["conditions"]]
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
        check_budget()
        rows.sort(key=lambda row: key(*row), reverse=not ascending)


def casemap(value: str | None) -> str:
    """i;unicode-casemap (RFC 5051) approximated by full Unicode case folding."""
    return (value or "").casefold()
