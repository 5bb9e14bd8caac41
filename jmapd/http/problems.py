"""HTTP error bodies: RFC 7807 problem documents, as RFC 8620 §3.6.1 asks for request-level errors."""

from __future__ import annotations

from starlette.responses import Response

from ..protocol.errors import RequestError
from ..protocol.wire import encode_json


def problem(error: RequestError, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(error.problem()), status_code=error.status,
                    media_type="application/problem+json", headers=headers)


def http_problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    return Response(encode_json(body), status_code=status, media_type="application/problem+json", headers=headers)
