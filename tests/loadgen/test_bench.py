"""`jmapd bench` against a real jmapd: every scenario, the output shapes and the failure modes."""

from __future__ import annotations

import json
import os

import httpx
import pytest

from jmapd.loadgen import main
from jmapd.loadgen.client import Session
from jmapd.loadgen.runner import percentile, server_memory
from jmapd.loadgen.scenarios import SCENARIOS
from jmapd.testing import LiveServer

USER, PASSWORD = "bench", "bench-secret"
USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]

SUBJECTS = ["the weekly meeting", "project report", "hello there", "thanks for the update", "time off next week"]


def _message(i: int, subject: str) -> bytes:
    return (
        f"From: Sender {i} <s{i}@example.com>\r\n"
        f"To: {USER}@example.com\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Mon, 0{i + 1} Jun 2025 10:00:00 +0000\r\n"
        f"Message-ID: <seed-{i}@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Please read the {subject} before the meeting.\r\n"
    ).encode()


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        live.add_user(USER, PASSWORD)
        with httpx.Client(auth=(USER, PASSWORD), follow_redirects=True) as http:
            session = http.get(live.session_url).json()
            account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
            api = session["apiUrl"]
            upload = session["uploadUrl"].replace("{accountId}", account)
            (mailboxes,) = http.post(api, json={"using": USING, "methodCalls": [
                ["Mailbox/get", {"accountId": account, "ids": None}, "0"]]}).json()["methodResponses"]
            inbox = next(m["id"] for m in mailboxes[1]["list"] if m["role"] == "inbox")
            for i, subject in enumerate(SUBJECTS):
                blob = http.post(upload, content=_message(i, subject),
                                 headers={"Content-Type": "message/rfc822"}).json()["blobId"]
                response = http.post(api, json={"using": USING, "methodCalls": [
                    ["Email/import", {"accountId": account, "emails": {
                        "e": {"blobId": blob, "mailboxIds": {inbox: True}}}}, "0"]]}).json()
                assert response["methodResponses"][0][1]["created"], response
        yield live


def _bench(server: LiveServer, *extra: str, password: str = PASSWORD) -> list[str]:
    return ["--session-url", server.session_url, "--user", USER, "--password", password, *extra]


def _run_json(server, capsys, *extra: str) -> tuple[int, dict]:
    code = main(_bench(server, "--json", *extra))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_scenario_runs_without_errors(server, capsys, scenario):
    """Guards each scenario against a real server: only valid JMAP, zero errors, plausible statistics."""
    code, result = _run_json(server, capsys, "--duration", "0.5", "--concurrency", "2", scenario)
    (stats,) = result["scenarios"]
    assert stats["errors"] == 0, stats["error_types"]
    assert code == 0
    assert stats["scenario"] == scenario
    assert stats["operations"] > 0
    assert stats["throughput"] > 0
    lat = stats["latency"]
    assert 0 < lat["median_ms"] <= lat["p90_ms"] <= lat["p99_ms"] <= lat["max_ms"]
    assert stats["unit"] == ("messages/s" if scenario == "import" else "ops/s")


def test_json_output_shape(server, capsys):
    """Guards the documented --json shape (one object, run parameters, per-scenario stats, server memory)."""
    code, result = _run_json(server, capsys, "--duration", "0.3", "--concurrency", "2",
                             "--server-pid", str(os.getpid()), "mailbox-view", "flag")
    assert code == 0
    assert set(result) == {"session_url", "account_id", "concurrency", "duration_s", "max_requests", "scenarios"}
    assert result["concurrency"] == 2 and result["max_requests"] is None
    # the Session was found by following the /.well-known/jmap redirect
    assert result["session_url"].startswith(server.url) and result["session_url"] != server.session_url
    assert [s["scenario"] for s in result["scenarios"]] == ["mailbox-view", "flag"]
    for stats in result["scenarios"]:
        assert set(stats) == {"scenario", "operations", "errors", "error_types", "elapsed_s", "throughput",
                              "unit", "latency", "server"}
        assert set(stats["latency"]) == {"median_ms", "p90_ms", "p99_ms", "max_ms"}
        assert stats["server"]["pid"] == os.getpid()
        assert stats["server"]["vm_rss_mb"] > 0 and stats["server"]["rss_anon_mb"] > 0


def test_max_requests_bounds_operations(server, capsys):
    """Guards the request-count bound: a long duration still stops after --max-requests operations."""
    code, result = _run_json(server, capsys, "--duration", "30", "--concurrency", "3",
                             "--max-requests", "7", "flag")
    assert code == 0
    assert result["scenarios"][0]["operations"] == 7


def test_table_output(server, capsys):
    """Guards the human-readable report: a header row and one row per scenario."""
    code = main(_bench(server, "--duration", "0.2", "--concurrency", "1", "search", "import"))
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("scenario") and "p99 ms" in line for line in lines)
    assert any(line.startswith("search ") for line in lines)
    assert any(line.startswith("import ") and "messages/s" in line for line in lines)


def test_wrong_password_is_a_clear_error(server, capsys):
    """Guards the bad-credentials path: a one-line message naming the cause, non-zero exit, no traceback."""
    code = main(_bench(server, "mailbox-view", password="wrong"))
    captured = capsys.readouterr()
    assert code != 0
    assert "authentication failed" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_unreachable_server_is_a_clear_error(capsys):
    """Guards the connection-refused path: reported as an error, not a traceback."""
    code = main(["--session-url", "http://127.0.0.1:9/.well-known/jmap", "--user", "u", "--password", "p", "flag"])
    captured = capsys.readouterr()
    assert code == 1
    assert "cannot reach" in captured.err and "Traceback" not in captured.err


def test_unknown_scenario_is_a_usage_error(capsys):
    """Guards scenario validation: an unknown name exits with the usage status (2) before any network access."""
    code = main(["--session-url", "http://127.0.0.1:9/", "--user", "u", "--password", "p", "no-such-scenario"])
    assert code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_missing_scenario_is_a_usage_error(capsys):
    """Guards that at least one scenario is required."""
    assert main(["--session-url", "http://127.0.0.1:9/", "--user", "u", "--password", "p"]) == 2
    capsys.readouterr()


def test_session_urls_resolve_against_session_url():
    """Guards relative apiUrl/uploadUrl handling and that the {accountId} template survives resolution."""
    session = Session("https://mail.example.com/jmap/session", {
        "primaryAccounts": {"urn:ietf:params:jmap:mail": "A 1"},
        "apiUrl": "/jmap/api/",
        "uploadUrl": "upload/{accountId}/",
    })
    assert session.api_url == "https://mail.example.com/jmap/api/"
    assert session.upload_url() == "https://mail.example.com/jmap/upload/A%201/"


def test_percentile_nearest_rank():
    """Guards the latency statistics: nearest-rank percentiles, empty input gives 0."""
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 90) == 90.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_server_memory_missing_process():
    """Guards --server-pid with a pid that has no /proc entry: no memory figures rather than a crash."""
    assert server_memory(2**31 - 1) is None


def test_scenarios_fetch_what_they_claim(server):
    """Guards the scenario payloads: the back-references resolve to real data (list view, thread bodies,
    snippets, non-empty changes), so a fast but empty answer cannot pass for a working request."""
    import asyncio
    import random

    from jmapd.loadgen.client import Jmap, discover
    from jmapd.loadgen.scenarios import Worker, prepare, refresh_email_ids

    async def go() -> dict[str, list[dict]]:
        seen: dict[str, list[dict]] = {}
        async with httpx.AsyncClient(auth=(USER, PASSWORD)) as http:
            jmap = Jmap(http, await discover(http, server.session_url))
            original = jmap.call

            async def recording(*calls):
                responses = await original(*calls)
                for (name, _), args in zip(calls, responses):
                    seen.setdefault(name, []).append(args)
                return responses

            jmap.call = recording  # type: ignore[method-assign]
            ctx = await prepare(jmap)
            await refresh_email_ids(ctx)
            ctx.words = ["meeting"]
            for name in ("mailbox-view", "open-thread", "search", "sync"):
                await SCENARIOS[name](ctx, Worker(index=0, rng=random.Random(1)))
        return seen

    seen = asyncio.run(go())
    listed = seen["Email/get"][0]["list"]  # mailbox-view runs first
    assert 0 < len(listed) <= 50
    assert {"subject", "preview", "receivedAt", "hasAttachment"} <= set(listed[0])
    thread_emails = next(r["list"] for r in seen["Email/get"] if r["list"] and "bodyValues" in r["list"][0])
    assert any(e["bodyValues"] for e in thread_emails)
    assert seen["Thread/get"][0]["list"][0]["emailIds"]
    assert seen["SearchSnippet/get"][0]["list"]
    assert seen["Email/changes"][0]["updated"]
    assert seen["Mailbox/get"][-1]["list"]


def _limited_run(capsys, scenario: str, **limits: int) -> tuple[int, dict, str]:
    from jmapd.protocol.capabilities import CoreLimits

    with LiveServer(limits=CoreLimits(**limits)) as live:
        live.add_user(USER, PASSWORD)
        code = main(_bench(live, "--json", "--duration", "0.5", "--concurrency", "6", scenario))
        captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_concurrency_is_capped_at_max_concurrent_requests(capsys):
    """Guards RFC 8620's maxConcurrentRequests: asking for more clients than the server accepts runs only
    as many as it advertises, so its `limit` refusals (HTTP 429) are not counted as its errors."""
    code, result, err = _limited_run(capsys, "search", max_concurrent_requests=2)
    assert result["concurrency"] == 2
    assert "capped at 2" in err
    (stats,) = result["scenarios"]
    assert stats["errors"] == 0, stats["error_types"]
    assert stats["operations"] > 0 and code == 0


def test_uploads_wait_for_max_concurrent_upload(capsys):
    """Guards RFC 8620's maxConcurrentUpload: with more clients than upload slots, the import scenario's
    uploads queue in the client instead of being refused by the server."""
    code, result, _ = _limited_run(capsys, "import", max_concurrent_requests=8, max_concurrent_upload=1)
    assert result["concurrency"] == 6
    (stats,) = result["scenarios"]
    assert stats["errors"] == 0, stats["error_types"]
    assert stats["operations"] > 0 and code == 0


def test_concurrency_without_advertised_limit_is_as_requested():
    """Guards the cap's edge cases: a Session without (or with a nonsensical) maxConcurrentRequests
    leaves the requested concurrency alone; a lower request stays as it is."""
    from jmapd.loadgen.cli import effective_concurrency

    def session(core: object) -> Session:
        return Session("http://127.0.0.1:1/jmap/", {
            "primaryAccounts": {"urn:ietf:params:jmap:mail": "a"}, "apiUrl": "/jmap/", "uploadUrl": "/up/",
            "capabilities": {"urn:ietf:params:jmap:core": core}})

    assert effective_concurrency(8, session({"maxConcurrentRequests": 5})) == 5
    assert effective_concurrency(3, session({"maxConcurrentRequests": 5})) == 3
    assert effective_concurrency(8, session({})) == 8
    assert effective_concurrency(8, session({"maxConcurrentRequests": 0})) == 8
    assert effective_concurrency(8, session(None)) == 8
