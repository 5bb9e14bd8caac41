"""Session discovery and a thin JMAP client over httpx.AsyncClient."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, urljoin

import httpx
import msgspec

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
USING = [CORE, MAIL]
_JSON = {"Content-Type": "application/json"}
# msgspec rather than httpx's stdlib json: the client shares the CPU with the server it measures.
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class BenchError(Exception):
    """A fatal problem (bad credentials, unreachable server, no data): reported, no traceback."""


class CallError(Exception):
    """One operation failed: an HTTP status >= 400, a JMAP error response or a transport error."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class Session:
    def __init__(self, url: str, data: dict[str, Any]):
        self.url = url
        self.data = data
        try:
            self.account_id: str = data["primaryAccounts"][MAIL]
            # urljoin, not httpx.URL.join: the latter percent-encodes the {accountId} template braces
            self.api_url = urljoin(url, data["apiUrl"])
            self.upload_template = urljoin(url, data["uploadUrl"])
        except (KeyError, TypeError) as exc:
            raise BenchError(f"the Session at {url} has no primary mail account or lacks {exc}") from None

    def upload_url(self) -> str:
        # uploadUrl is an RFC 6570 level 1 template with {accountId}
        return self.upload_template.replace("{accountId}", quote(self.account_id, safe=""))

    def core_limit(self, name: str) -> int | None:
        """A positive integer limit of the core capability (e.g. maxConcurrentRequests), None if not advertised.

        RFC 8620 section 2 makes these server-wide promises: exceeding them earns a `limit` error
        (often HTTP 429), which would be counted as the server failing rather than the client misbehaving.
        """
        capabilities = self.data.get("capabilities")
        core = capabilities.get(CORE) if isinstance(capabilities, dict) else None
        value = core.get(name) if isinstance(core, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def discover(http: httpx.AsyncClient, url: str) -> Session:
    """GET the Session resource (following redirects) and resolve its URLs against where it was found."""
    try:
        response = await http.get(url, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise BenchError(f"cannot reach {url}: {exc.__class__.__name__}: {exc}") from None
    if response.status_code in (401, 403):
        raise BenchError(f"authentication failed at {url} (HTTP {response.status_code}): check --user and --password")
    if response.status_code >= 400:
        raise BenchError(f"Session discovery at {url} failed with HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise BenchError(f"{response.url} did not return a JSON Session object") from None
    if not isinstance(data, dict):
        raise BenchError(f"{response.url} did not return a JSON Session object")
    return Session(str(response.url), data)


class Jmap:
    """The per-run shared client: one connection pool, one session."""

    def __init__(self, http: httpx.AsyncClient, session: Session,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.http = http
        self.session = session
        self.account_id = session.account_id
        # API calls go straight to the client's transport when given: the client's own layers
        # (request building, auth and redirect flows, cookie extraction) cost the load generator
        # more CPU per request than a fast server spends answering it. No API response redirects.
        self._transport = transport
        self._api_headers = [*http.headers.multi_items(), ("Content-Type", "application/json")]
        self._timeout = {"timeout": http.timeout.as_dict()}
        # uploads have their own limit (maxConcurrentUpload), independent of maxConcurrentRequests
        uploads = session.core_limit("maxConcurrentUpload")
        self._upload_slots = asyncio.Semaphore(uploads) if uploads else None

    async def call(self, *calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """Send one request with the given method calls (call ids "0", "1", ...).

        Returns the arguments of each response, in order; raises CallError on any HTTP
        or JMAP-level error, so one failed method fails the whole operation.
        """
        body = {"using": USING, "methodCalls": [[name, args, str(i)] for i, (name, args) in enumerate(calls)]}
        try:
            response = await self._post(_encode(body))
        except httpx.HTTPError as exc:
            raise CallError(f"transport:{exc.__class__.__name__}") from None
        if response.status_code >= 400:
            kind = f"http:{response.status_code}"
            try:
                problem = response.json().get("type")
                if isinstance(problem, str) and problem != "about:blank":
                    kind += f":{problem.rsplit(':', 1)[-1]}"
            except (ValueError, AttributeError):
                pass
            raise CallError(kind)
        try:
            responses = _decode(response.content)["methodResponses"]
        except (msgspec.DecodeError, KeyError, TypeError):
            raise CallError("bad-response") from None
        out = []
        for name, args, _ in responses:
            if name == "error":
                raise CallError(f"jmap:{args.get('type', 'unknown')}")
            out.append(args)
        return out

    async def _post(self, body: bytes) -> httpx.Response:
        if self._transport is None:
            return await self.http.post(self.session.api_url, content=body, headers=_JSON)
        request = httpx.Request("POST", self.session.api_url, headers=self._api_headers, content=body,
                                extensions=self._timeout)
        response = await self._transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def upload(self, data: bytes, content_type: str = "message/rfc822") -> str:
        """Upload a blob, waiting for a free slot if maxConcurrentUpload uploads are already in flight."""
        if self._upload_slots is None:
            return await self._upload(data, content_type)
        async with self._upload_slots:
            return await self._upload(data, content_type)

    async def _upload(self, data: bytes, content_type: str) -> str:
        try:
            response = await self.http.post(
                self.session.upload_url(), content=data, headers={"Content-Type": content_type}
            )
        except httpx.HTTPError as exc:
            raise CallError(f"transport:{exc.__class__.__name__}") from None
        if response.status_code >= 400:
            raise CallError(f"upload:{response.status_code}")
        try:
            return response.json()["blobId"]
        except (ValueError, KeyError, TypeError):
            raise CallError("upload:bad-response") from None
