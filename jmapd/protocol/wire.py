"""The Request and Response envelopes (RFC 8620 §3.2–3.4), decoded and encoded with msgspec."""

from __future__ import annotations

from typing import Any

import msgspec

from .errors import RequestError


class Request(msgspec.Struct):
    using: list[str]
    methodCalls: list[tuple[str, dict[str, Any], str]]
    createdIds: dict[str, str] | None = None


_json_decoder = msgspec.json.Decoder()
_request_decoder = msgspec.json.Decoder(Request)
_encoder = msgspec.json.Encoder()
encode_json = _encoder.encode

MAX_DEPTH = 64


def nesting_ok(value: Any, limit: int) -> bool:
    """Bounded nesting: deep JSON is a cheap way to exhaust a server's stack (RFC 8620 §8.4)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def decode_request(body: bytes) -> Request:
    """Raw bytes to a Request, telling apart bad JSON (notJSON) from a bad shape (notRequest).

    Decoded straight into the Request type; a server MUST ignore Request properties it does not
    understand (RFC 8620 §3.3), and msgspec skips unknown fields.
    """
    try:
        request = _request_decoder.decode(body)
    except msgspec.ValidationError as exc:
        try:
            _json_decoder.decode(body)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            pass
        else:
            if body.lstrip()[:1] == b"[":
                raise RequestError("notRequest", "A JSON array of method calls is the draft JMAP-for-Mail "
                                   "dialect; send it to the endpoint the Session names for it. This endpoint "
                                   "takes an RFC 8620 Request object.") from None
            raise RequestError("notRequest", f"The request does not match the Request type: {exc}") from None
        raise RequestError("notJSON", f"The request body is not valid JSON: {exc}") from None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as exc:
        raise RequestError("notJSON", f"The request body is not valid JSON: {exc}") from None
    # Nesting can be no deeper than the number of opening brackets: count them at C speed first.
    # (methodCalls is one level below the Request object, so its own depth limit is one less.)
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and not nesting_ok(
            [list(call) for call in request.methodCalls], MAX_DEPTH - 1):
        raise RequestError("notJSON", f"The request nests JSON deeper than {MAX_DEPTH} levels.")
    return request
