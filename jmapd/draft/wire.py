"""The draft dialect's request: a bare JSON array of [name, arguments, clientId] (no `using`, no
back-references), answered with an array of the same shape."""

from __future__ import annotations

from typing import Any

import msgspec

from ..protocol.errors import RequestError
from ..protocol.wire import check_shape

Calls = list[tuple[str, dict[str, Any], str]]

_calls_decoder = msgspec.json.Decoder(Calls)
_any_decoder = msgspec.json.Decoder()


def decode_calls(body: bytes) -> Calls:
    """Raw bytes to method calls, telling bad JSON (notJSON) from a bad shape (notRequest), and an
    RFC 8620 Request object (sent here by mistake) from anything else; too deep or too many values
    are refused before decoding, as for the API's requests."""
    check_shape(body)
    try:
        calls = _calls_decoder.decode(body)
    except msgspec.ValidationError as exc:
        try:
            value = _any_decoder.decode(body)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            raise RequestError("notJSON", f"The request body is not valid JSON: {exc}") from None
        if isinstance(value, dict) and "methodCalls" in value:
            raise RequestError(
                "notRequest", "This endpoint speaks the draft JMAP-for-Mail dialect: a JSON array of "
                "[name, arguments, clientId]. RFC 8620 Request objects go to the Session's apiUrl.") from None
        raise RequestError("notRequest", f"The request must be a JSON array of [name, arguments, clientId]: {exc}"
                           ) from None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as exc:
        raise RequestError("notJSON", f"The request body is not valid JSON: {exc}") from None
    return calls
