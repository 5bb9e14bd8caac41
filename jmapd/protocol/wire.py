"""The Request and Response envelopes (RFC 8620 §3.2–3.4), decoded and encoded with msgspec."""

from __future__ import annotations

import re
from itertools import accumulate
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
#: JSON values one request may hold (counted as its separators and opening brackets outside strings:
#: about one per array element, object member and container). Decoding builds an object per value
#: in one C call that holds the GIL, and freeing them is another: 100,000 sort comparators (300,000)
#: took 15 to 20 ms to decode on an idle machine and several times that on a busy one, while every
#: other request waited. A thousand Email/set creates of a few dozen properties each hold about
#: 100,000. Past the bound the request is refused before it is decoded, as larger than
#: maxSizeRequest (RFC 8620 §3.6.1): dense JSON costs more per octet than the limit assumes.
MAX_VALUES = 200_000
#: How much of a request one C call of the shape check reads (well under a millisecond each).
SCAN_WINDOW = 16 * 1024


# JSON strings, and what is not a bracket.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}.__getitem__
# A run of whole strings and what lies between them, stopping before a string the window cuts.
_WHOLE_STRINGS = re.compile(rb'(?:[^"]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)


def _string_end(body: bytes, start: int) -> int:
    """Where the string opening at `start` ends (past its closing quote), found a quote at a time."""
    pos = start + 1
    while True:
        quote = body.find(b'"', pos)
        if quote == -1:
            return len(body)
        escapes = quote
        while body[escapes - 1] == 92:  # the backslashes before it (the opening quote stops this)
            escapes -= 1
        if (quote - escapes) % 2 == 0:
            return quote + 1
        pos = quote + 1


def shape(body: bytes, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> tuple[int, int]:
    """(how deep the JSON document nests, the outermost value being level 1; how many values it
    holds, as MAX_VALUES counts them), strings left out. Read a window at a time, so that no C call
    holds the GIL for long whatever the body; stops early once past either bound.

    Deep JSON is a cheap way to exhaust a server's stack (RFC 8620 §8.4), many values its CPU."""
    depth = deepest = values = 0
    pos, end = 0, len(body)
    while pos < end and deepest <= max_depth and values <= max_values:
        stop = _WHOLE_STRINGS.match(body, pos, min(end, pos + SCAN_WINDOW)).end()
        if stop == pos:  # a string longer than the window
            pos = _string_end(body, pos)
            continue
        outside = _STRING.sub(b"", body[pos:stop])
        brackets = outside.translate(None, _NOT_BRACKETS)
        values += outside.count(b",") + outside.count(b":") + brackets.count(b"[") + brackets.count(b"{")
        if brackets:
            levels = list(accumulate(map(_STEP, brackets), initial=depth))
            deepest = max(deepest, max(levels))
            depth = levels[-1]
        pos = stop
    return deepest, values


def check_shape(body: bytes) -> None:
    """Refuse, before decoding, a request nested too deep (notJSON) or holding too many values
    (limit); the first is seldom and the second never worth a look on an ordinary request, which
    counting its brackets and separators (at C speed, a millisecond per few MB) rules out."""
    brackets = body.count(b"[") + body.count(b"{")
    if brackets <= MAX_DEPTH and brackets + body.count(b",") + body.count(b":") <= MAX_VALUES:
        return
    depth, values = shape(body)
    if depth > MAX_DEPTH:
        raise RequestError("notJSON", f"The request nests JSON deeper than {MAX_DEPTH} levels.")
    if values > MAX_VALUES:
        raise RequestError("limit", f"The request holds more than {MAX_VALUES} JSON values, which this server "
                           "counts as larger than maxSizeRequest; send its calls in several requests.",
                           limit="maxSizeRequest")


def decode_request(body: bytes) -> Request:
    """Raw bytes to a Request, telling apart bad JSON (notJSON) from a bad shape (notRequest).

    Decoded straight into the Request type, once its shape has passed `check_shape`; a server MUST
    ignore Request properties it does not understand (RFC 8620 §3.3), and msgspec skips unknown fields.
    """
    check_shape(body)
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
    return request
