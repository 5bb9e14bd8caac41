"""The three levels of JMAP errors (RFC 8620 §3.6): request, method and per-record (SetError)."""

from __future__ import annotations

from typing import Any

ERROR_URN = "urn:ietf:params:jmap:error:"


class RequestError(Exception):
    """Rejects the whole request with an RFC 7807 problem document (RFC 8620 §3.6.1)."""

    def __init__(self, kind: str, detail: str, *, status: int = 400, limit: str | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.limit = limit

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": ERROR_URN + self.kind, "status": self.status, "detail": self.detail}
        if self.limit is not None:
            body["limit"] = self.limit
        return body


class MethodError(Exception):
    """Answers one method call with an `error` response; the other calls go on (RFC 8620 §3.6.2)."""

    def __init__(self, kind: str, description: str | None = None, **extra: Any):
        super().__init__(description or kind)
        self.kind = kind
        self.description = description
        self.extra = extra

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {"type": self.kind}
        if self.description:
            args["description"] = self.description
        args.update(self.extra)
        return args


def invalid_arguments(description: str) -> MethodError:
    return MethodError("invalidArguments", description)


class SetError(Exception):
    """Rejects one create/update/destroy of a /set or /copy (RFC 8620 §5.3); the others go on."""

    def __init__(self, kind: str, description: str | None = None, **extra: Any):
        super().__init__(description or kind)
        self.kind = kind
        self.description = description
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.kind}
        if self.description:
            body["description"] = self.description
        body.update(self.extra)
        return body


def invalid_properties(properties: list[str], description: str | None = None) -> SetError:
    return SetError("invalidProperties", description, properties=sorted(set(properties)))
