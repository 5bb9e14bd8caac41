"""HTTP error bodies: RFC 7807 problem documents, as RFC 8620 §3.6.1 asks for request-level errors."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response

from ..protocol.errors import RequestError
from ..protocol.wire import encode_json


def problem(error: RequestError, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(error.problem()), status_code=error.status,
                    media_type="application/problem+json", headers=headers)


def http_problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    return Response(encode_json(body), status_code=status, media_type="application/problem+json", headers=headers)


TITLES = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests"}


def http_exception_problem(exc: HTTPException) -> Response:
    return http_problem(exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail), exc.headers)
