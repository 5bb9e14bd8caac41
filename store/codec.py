"""msgpack encoding of store records.

Records are msgspec Structs; one encoder serves all of them and decoders are cached per type, because
building a decoder costs far more than using one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.msgpack.Encoder()
encode = _encoder.encode


@lru_cache(maxsize=None)
def _decoder(kind: Any) -> msgspec.msgpack.Decoder:
    return msgspec.msgpack.Decoder(kind)


def decode(data: bytes | memoryview, kind: type[T]) -> T:
    return _decoder(kind).decode(data)


def u64(n: int) -> bytes:
    """Big-endian so that LMDB's byte order is numeric order."""
    return n.to_bytes(8, "big")


def from_u64(b: bytes | memoryview) -> int:
    return int.from_bytes(b, "big")
