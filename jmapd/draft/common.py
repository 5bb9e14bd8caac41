"""What every draft method shares: calling the RFC 8621 implementation, the draft's error names,
the primary account for a null accountId, and the draft's boolean flags over RFC 8621 keywords."""

from __future__ import annotations

from typing import Any

import msgspec

from ..methods import build_registry
from ..methods.context import Context
from ..protocol.errors import MethodError, SetError, invalid_arguments

# The RFC 8621 methods, called in-process: each draft method is a translation onto one or more of them.
_RFC = build_registry().methods

# Where the draft names a method-level error differently (draft §3.1.5, §7.1).
METHOD_ERRORS = {"unsupportedFilter": "cannotDoFilter"}

# The draft Message's booleans and the RFC 8621 keywords they stand for (draft §5; RFC 8621 §4.1.1).
# isUnread is the one inverted: unread means the $seen keyword is absent.
FLAGS = {"isUnread": "$seen", "isFlagged": "$flagged", "isAnswered": "$answered", "isDraft": "$draft"}


class DraftArgs(msgspec.Struct, forbid_unknown_fields=True):
    """Draft arguments: accountId may be null or absent, meaning the primary account."""

    accountId: str | None = None


def account_of(ctx: Context, args: DraftArgs) -> str:
    return ctx.user.account_id if args.accountId is None else args.accountId


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def rfc(ctx: Context, method: str, args: dict[str, Any], *, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Call an RFC 8621 method; its method-level errors come back under the draft's names.

    /get answers may hold records kept encoded (msgspec.Raw): they are decoded, to be translated.
    """
    try:
        result = _RFC[method].handler(ctx, args)
        return _decode(_encode(result)) if method.endswith("/get") else result
    except MethodError as exc:
        kind = (errors or {}).get(exc.kind) or METHOD_ERRORS.get(exc.kind, exc.kind)
        if kind == exc.kind:
            raise
        raise MethodError(kind, exc.description, **exc.extra) from None


def check_since(args: Any, section: str) -> None:
    """The sinceState and maxChanges every get...Updates method takes (draft §{section})."""
    if not args.sinceState:
        raise invalid_arguments(f"sinceState is required (draft §{section})")
    if getattr(args, "maxChanges", None) is not None and args.maxChanges < 1:
        raise invalid_arguments("maxChanges must be a positive integer")


def changes_since(ctx: Context, method: str, account_id: str, args: Any, section: str) -> dict[str, Any]:
    """A get...Updates call's RFC 8620 /changes answer, its arguments checked first."""
    check_since(args, section)
    return rfc(ctx, method, {"accountId": account_id, "sinceState": args.sinceState, "maxChanges": args.maxChanges})


def flag_value(keywords: dict[str, bool] | None, flag: str) -> bool:
    present = FLAGS[flag] in (keywords or {})
    return not present if flag == "isUnread" else present


def keyword_patch(flag: str, value: Any) -> dict[str, Any]:
    """A keyword patch (RFC 8620 §5.3 PatchObject) setting one draft flag."""
    if not isinstance(value, bool):
        raise SetError("invalidProperties", f"{flag} must be a boolean", properties=[flag])
    present = not value if flag == "isUnread" else value
    return {f"keywords/{FLAGS[flag]}": True if present else None}


def keywords_for(flags: dict[str, Any]) -> dict[str, bool]:
    """RFC 8621 keywords for the draft flags given (absent flags are false)."""
    keywords = {}
    for flag, keyword in FLAGS.items():
        value = bool(flags.get(flag))
        if (not value if flag == "isUnread" else value):
            keywords[keyword] = True
    return keywords
