"""Each fault switch, as the client sees it (test mode only). The errors are those a real server
answers: RFC 8620 §3.6.1 request-level problems, §3.6.2 method-level errors, §5.2 and §5.6
cannotCalculateChanges, §5.3 stateMismatch; RFC 6585 §4 429 with Retry-After."""

from __future__ import annotations

import time

import httpx

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def api(client, user, *calls):
    body = {"using": USING, "methodCalls": [[name, {"accountId": user.account_id, **args}, str(n)]
                                            for n, (name, args) in enumerate(calls)]}
    return client.post(user.api_url, json=body)


def switch(server, **fault):
    with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.admin_token}"}) as ops:
        response = ops.post("/_admin/faults", json=fault)
        assert response.status_code == 200, response.text


def test_latency(jmapd, jmapd_client, jmapd_user):
    switch(jmapd, kind="latency", user=jmapd_user.username, ms=300, count=1)
    started = time.monotonic()
    assert api(jmapd_client, jmapd_user, ("Core/echo", {})).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api(jmapd_client, jmapd_user, ("Core/echo", {}))
    assert time.monotonic() - started < 0.3  # count=1: it fired once


def test_http_503_and_429_with_retry_after(jmapd, jmapd_client, jmapd_user):
    switch(jmapd, kind="http", user=jmapd_user.username, status=503, count=1)
    assert api(jmapd_client, jmapd_user, ("Core/echo", {})).status_code == 503
    switch(jmapd, kind="http", user=jmapd_user.username, status=429, retryAfter=7, count=1)
    refused = api(jmapd_client, jmapd_user, ("Core/echo", {}))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "7"
    assert api(jmapd_client, jmapd_user, ("Core/echo", {})).status_code == 200


def test_limit_problem(jmapd, jmapd_client, jmapd_user):
    """RFC 8620 §3.6.1: a `limit` problem names the limit."""
    switch(jmapd, kind="limit", user=jmapd_user.username, limit="maxCallsInRequest", count=1)
    refused = api(jmapd_client, jmapd_user, ("Core/echo", {}))
    assert refused.status_code == 400
    assert refused.json()["type"] == "urn:ietf:params:jmap:error:limit"
    assert refused.json()["limit"] == "maxCallsInRequest"


def test_method_errors_for_chosen_methods(jmapd, jmapd_client, jmapd_user):
    """RFC 8620 §3.6.2: the chosen method answers an error; the other calls of the request run."""
    switch(jmapd, kind="method", user=jmapd_user.username, methods=["Email/query"], error="serverUnavailable",
           count=1)
    response = api(jmapd_client, jmapd_user, ("Mailbox/get", {"ids": None}), ("Email/query", {}))
    (_, boxes, _), (name, error, _) = response.json()["methodResponses"]
    assert boxes["list"] and name == "error" and error["type"] == "serverUnavailable"
    switch(jmapd, kind="method", methods=["*"], count=1)
    (name, error, _), = api(jmapd_client, jmapd_user, ("Core/echo", {})).json()["methodResponses"]
    assert (name, error["type"]) == ("error", "serverFail")


def test_cannot_calculate_changes(jmapd, jmapd_client, jmapd_user):
    """RFC 8620 §5.2: /changes answers cannotCalculateChanges; the client must resync."""
    state = api(jmapd_client, jmapd_user, ("Email/get", {"ids": []})).json()["methodResponses"][0][1]["state"]
    switch(jmapd, kind="cannotCalculateChanges", user=jmapd_user.username, count=1)
    (name, error, _), = api(jmapd_client, jmapd_user, ("Email/changes", {"sinceState": state})).json()[
        "methodResponses"]
    assert (name, error["type"]) == ("error", "cannotCalculateChanges")
    (name, _, _), = api(jmapd_client, jmapd_user, ("Email/changes", {"sinceState": state})).json()["methodResponses"]
    assert name == "Email/changes"


def test_state_mismatch_on_the_next_set_with_if_in_state(jmapd, jmapd_client, jmapd_user):
    """RFC 8620 §5.3: ifInState that (the server says) no longer matches: stateMismatch, nothing set."""
    got = api(jmapd_client, jmapd_user, ("Mailbox/get", {"ids": None})).json()["methodResponses"][0][1]
    switch(jmapd, kind="stateMismatch", user=jmapd_user.username, count=1)
    create = {"ifInState": got["state"], "create": {"n": {"name": "Refused"}}}
    (name, error, _), = api(jmapd_client, jmapd_user, ("Mailbox/set", create)).json()["methodResponses"]
    assert (name, error["type"]) == ("error", "stateMismatch")
    (name, result, _), = api(jmapd_client, jmapd_user, ("Mailbox/set", create)).json()["methodResponses"]
    assert name == "Mailbox/set" and "n" in result["created"]


def test_upload_and_download_failures(jmapd, jmapd_client, jmapd_user):
    """RFC 8620 §6.1, §6.2: the upload or download fails once, then works."""
    switch(jmapd, kind="upload", user=jmapd_user.username, status=500, count=1)
    url = f"/jmap/upload/{jmapd_user.account_id}/"
    assert jmapd_client.post(url, content=b"hello").status_code == 500
    uploaded = jmapd_client.post(url, content=b"hello")
    assert uploaded.status_code in (200, 201)
    blob = uploaded.json()["blobId"]
    switch(jmapd, kind="download", user=jmapd_user.username, status=503, count=1)
    download = f"/jmap/download/{jmapd_user.account_id}/{blob}/x.txt"
    assert jmapd_client.get(download).status_code == 503
    assert jmapd_client.get(download).content == b"hello"


def test_eventsource_dropped_after_n_events(jmapd, jmapd_user):
    """RFC 8620 §7.3: the stream ends after one StateChange, as a dropped connection would."""
    switch(jmapd, kind="pushDrop", user=jmapd_user.username, afterEvents=1, count=1)
    auth = (jmapd_user.username, jmapd_user.password)
    events = []
    with httpx.Client(base_url=jmapd.url, auth=auth, timeout=20) as client:
        with client.stream("GET", "/jmap/eventsource/?types=*&closeafter=no&ping=0") as stream:
            for n in range(3):
                jmapd.deliver(jmapd_user.username, f"Subject: {n}\r\n\r\nbody {n}\r\n".encode())
                time.sleep(0.05)
            for line in stream.iter_lines():
                if line.startswith("data:") and "StateChange" in line:
                    events.append(line)
    assert len(events) == 1


def test_faults_only_in_test_mode(live, client):
    """A production server has no admin API: /_admin is an unknown resource."""
    assert httpx.get(live.url + "/_admin/faults").status_code in (401, 404)


def test_admin_api_refuses_peers_beyond_loopback(jmapd):
    """The admin API answers loopback peers only: the same request with the right token from
    another address is refused with 403, and changes nothing."""
    import asyncio

    from jmapd.testdouble.admin import Admin

    async def ask(peer: str) -> int:
        transport = httpx.ASGITransport(app=Admin(jmapd).app(), client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/_admin/faults", json={"kind": "http", "status": 503},
                                         headers={"authorization": f"Bearer {jmapd.admin_token}"})
            return response.status_code

    assert asyncio.run(ask("192.0.2.10")) == 403
    assert jmapd.faults.active() == []
    assert asyncio.run(ask("127.0.0.1")) == 200
    assert len(jmapd.faults.active()) == 1
