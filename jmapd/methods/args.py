"""Typed method arguments: msgspec validates types so handlers never see a wrong one.

Unknown top-level arguments are rejected (RFC 8620 §3.9 asks servers to be strict with data from
clients); nested objects such as Comparators are lenient, as real clients send extra keys there.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec

from ..protocol.errors import invalid_arguments

T = TypeVar("T")

# RFC 8620 §1.3: integers a client sends are bounded to what JSON numbers hold exactly.
MAX_SAFE = 2**53 - 1
Int = Annotated[int, msgspec.Meta(ge=-MAX_SAFE, le=MAX_SAFE)]
UnsignedInt = Annotated[int, msgspec.Meta(ge=0, le=MAX_SAFE)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1, le=MAX_SAFE)]


class Args(msgspec.Struct, forbid_unknown_fields=True):
    pass


class GetArgs(Args):
    accountId: str
    ids: list[str] | None = None
    properties: list[str] | None = None


class ChangesArgs(Args):
    accountId: str
    sinceState: str
    maxChanges: PositiveInt | None = None


class SetArgs(Args):
    accountId: str
    ifInState: str | None = None
    create: dict[str, Any] | None = None
    update: dict[str, Any] | None = None
    destroy: list[str] | None = None


class Comparator(msgspec.Struct):
    property: str
    isAscending: bool = True
    collation: str | None = None
    keyword: str | None = None


class QueryArgs(Args):
    accountId: str
    filter: dict[str, Any] | None = None
    sort: list[Comparator] | None = None
    position: Int = 0
    anchor: str | None = None
    anchorOffset: Int = 0
    limit: UnsignedInt | None = None
    calculateTotal: bool = False


class QueryChangesArgs(Args):
    accountId: str
    sinceQueryState: str
    filter: dict[str, Any] | None = None
    sort: list[Comparator] | None = None
    maxChanges: PositiveInt | None = None
    upToId: str | None = None
    calculateTotal: bool = False


class CopyArgs(Args):
    fromAccountId: str
    accountId: str
    create: dict[str, Any]
    ifFromInState: str | None = None
    ifInState: str | None = None
    onSuccessDestroyOriginal: bool = False
    destroyFromIfInState: str | None = None


def parse(args: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(args, kind)
    except msgspec.ValidationError as exc:
        raise invalid_arguments(str(exc)) from None


def unsigned(value: int | None, name: str, *, positive: bool = False) -> None:
    if value is None:
        return
    if value < 0 or (positive and value == 0):
        raise invalid_arguments(f"{name} must be {'greater than 0' if positive else 'non-negative'}")
    if value > 2**53 - 1:
        raise invalid_arguments(f"{name} is larger than the largest UnsignedInt (RFC 8620 §1.3)")
