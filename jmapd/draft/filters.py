"""The draft's FilterCondition and sort (draft §3.1.1, §3.1.2) as RFC 8621 Email/query arguments.

The draft's `date` is the message's arrival (RFC 8621 receivedAt; for a draft, when it was saved),
the same for the Message property, the before/after conditions and the sort, so that a mailbox
sorted by "date desc" is the receivedAt index every mailbox view reads.
"""

from __future__ import annotations

from typing import Any

from ..protocol.errors import MethodError, invalid_arguments
from .common import FLAGS

# Conditions whose name and value are the same in both (draft §3.1.1; RFC 8621 §4.4.1).
SAME_CONDITIONS = frozenset(("before", "after", "minSize", "maxSize", "hasAttachment", "text", "from", "to", "cc",
                             "bcc", "subject", "body", "header"))
TEXT_CONDITIONS = ("text", "from", "to", "cc", "bcc", "subject", "body")


def _flag_condition(flag: str, wanted: Any) -> dict[str, Any]:
    if not isinstance(wanted, bool):
        raise invalid_arguments(f"{flag} must be a boolean")
    present = not wanted if flag == "isUnread" else wanted
    return {"hasKeyword" if present else "notKeyword": FLAGS[flag]}


def _thread_condition(prop: str, wanted: Any) -> dict[str, Any]:
    if not isinstance(wanted, bool):
        raise invalid_arguments(f"{prop} must be a boolean")
    if prop == "threadIsFlagged":
        return {"someInThreadHaveKeyword" if wanted else "noneInThreadHaveKeyword": "$flagged"}
    # Unread is the absence of $seen: some message of the thread is unread unless all have $seen.
    seen_by_all = {"allInThreadHaveKeyword": "$seen"}
    return {"operator": "NOT", "conditions": [seen_by_all]} if wanted else seen_by_all


def _mailbox_ids(prop: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_arguments(f"{prop} must be a list of mailbox ids")
    return value


def _condition(node: dict[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for prop, value in node.items():
        if value is None:
            continue  # "null" is the same as leaving the property out
        if prop == "inMailboxes":
            parts.extend({"inMailbox": m} for m in _mailbox_ids(prop, value))
        elif prop == "notInMailboxes":
            ids = _mailbox_ids(prop, value)
            if ids:
                parts.append({"operator": "NOT", "conditions": [{"inMailbox": m} for m in ids]})
        elif prop in FLAGS:
            parts.append(_flag_condition(prop, value))
        elif prop in ("threadIsFlagged", "threadIsUnread"):
            parts.append(_thread_condition(prop, value))
        elif prop in SAME_CONDITIONS:
            parts.append({prop: value})
        else:
            raise MethodError("cannotDoFilter", f"no filter condition {prop!r} (draft §3.1.1)")
    # Conditions on different properties join in one RFC 8621 condition (all must hold), so the plain
    # mailbox view stays {"inMailbox": id}, which the mailbox's own index answers.
    merged: dict[str, Any] = {}
    rest: list[dict[str, Any]] = []
    for part in parts:
        if "operator" not in part and merged.keys().isdisjoint(part):
            merged.update(part)
        else:
            rest.append(part)
    if not rest:
        return merged
    return {"operator": "AND", "conditions": ([merged] if merged else []) + rest}


def rfc_filter(node: Any) -> dict[str, Any] | None:
    if node is None:
        return None
    if not isinstance(node, dict):
        raise invalid_arguments("a filter must be a FilterOperator or FilterCondition object")
    if "operator" in node:
        operator, conditions = node.get("operator"), node.get("conditions")
        if set(node) - {"operator", "conditions"} or operator not in ("AND", "OR", "NOT") \
                or not isinstance(conditions, list):
            raise invalid_arguments("a FilterOperator has an operator AND, OR or NOT and a conditions array")
        return {"operator": operator, "conditions": [rfc_filter(c) for c in conditions]}
    return _condition(node)


def has_text_condition(node: Any) -> bool:
    """Whether a draft filter needs the full-text index (and so may wait for it)."""
    if not isinstance(node, dict):
        return False
    if "operator" in node:
        return any(has_text_condition(c) for c in node.get("conditions") or [] if isinstance(c, dict))
    return any(node.get(k) is not None for k in TEXT_CONDITIONS)


# Draft sort property -> (RFC 8621 comparator, whether the direction flips).
SORTS: dict[str, tuple[dict[str, Any], bool]] = {
    "id": ({"property": "id"}, False),
    "date": ({"property": "receivedAt"}, False),
    "size": ({"property": "size"}, False),
    "from": ({"property": "from"}, False),
    "to": ({"property": "to"}, False),
    "subject": ({"property": "subject"}, False),
    "threadIsFlagged": ({"property": "someInThreadHaveKeyword", "keyword": "$flagged"}, False),
    # Some message unread = not all have $seen: ascending unread is descending "all seen".
    "threadIsUnread": ({"property": "allInThreadHaveKeyword", "keyword": "$seen"}, True),
    "isFlagged": ({"property": "hasKeyword", "keyword": "$flagged"}, False),
    "isUnread": ({"property": "hasKeyword", "keyword": "$seen"}, True),
    "isAnswered": ({"property": "hasKeyword", "keyword": "$answered"}, False),
    "isDraft": ({"property": "hasKeyword", "keyword": "$draft"}, False),
}
SORT_OPTIONS = tuple(SORTS)


def rfc_sort(sort: list[str] | None) -> list[dict[str, Any]] | None:
    if sort is None:
        return None
    comparators = []
    for item in sort:
        prop, _, direction = item.partition(" ")
        if direction not in ("asc", "desc"):
            raise invalid_arguments(f"{item!r}: a sort is a property, a space, then asc or desc (draft §3.1.2)")
        if prop not in SORTS:
            raise MethodError("unsupportedSort", f"cannot sort messages by {prop!r}")
        comparator, flips = SORTS[prop]
        comparators.append({**comparator, "isAscending": (direction == "asc") != flips})
    return comparators
