"""POST to the draft dialect's endpoint: an array of draft method calls in, an array of responses
out (draft-jenkins-jmapmail-00). Authentication, limits and request-level errors are the API's."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool

from ..draft import Dialect, decode_calls
from ..methods.services import Principal
from ..protocol.wire import encode_json
from .api import ApiEndpoint
from .state import AppState


class DraftEndpoint(ApiEndpoint):
    def __init__(self, state: AppState, dialect: Dialect):
        super().__init__(state)
        self.dialect = dialect

    async def respond(self, body: bytes, principal: Principal) -> tuple[bytes, float]:
        dialect = self.dialect
        request = dialect.request(decode_calls(body))
        dialect.engine.check(request)
        account_id = principal.user.account_id
        if dialect.needs_outbox(account_id):
            await run_in_threadpool(dialect.ensure_outbox, principal.server, account_id)
        started = time.perf_counter()
        if dialect.may_block(request):
            responses = await run_in_threadpool(dialect.run, request, principal)
        else:
            responses = dialect.run(request, principal)
        return encode_json(responses), (time.perf_counter() - started) * 1000
