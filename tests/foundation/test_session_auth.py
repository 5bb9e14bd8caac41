"""Session resource, discovery, authentication and CORS (RFC 8620 §2, §8.2)."""

from __future__ import annotations

import base64

import httpx
import pytest

from jmapd.protocol.capabilities import CORE, MAIL
from jmapd.testing import LiveServer


def test_session_object(client, live):
    """RFC 8620 §2: the Session has capabilities (core with every limit), accounts, primaryAccounts,
    username, absolute apiUrl/downloadUrl/uploadUrl/eventSourceUrl templates and state."""
    s = client.session
    core = s["capabilities"][CORE]
    for limit in ("maxSizeUpload", "maxConcurrentUpload", "maxSizeRequest", "maxConcurrentRequests",
                  "maxCallsInRequest", "maxObjectsInGet", "maxObjectsInSet"):
        assert isinstance(core[limit], int) and core[limit] > 0
    assert "i;unicode-casemap" in core["collationAlgorithms"]
    assert MAIL in s["capabilities"]
    account = s["accounts"][client.account_id]
    assert account["isPersonal"] is True and account["isReadOnly"] is False
    assert s["primaryAccounts"][MAIL] == client.account_id
    assert CORE not in s["primaryAccounts"]  # SHOULD NOT be present (§2)
    assert s["username"] == client.username
    for key, variables in (("apiUrl", []), ("downloadUrl", ["accountId", "blobId", "type", "name"]),
                           ("uploadUrl", ["accountId"]), ("eventSourceUrl", ["types", "closeafter", "ping"])):
        assert s[key].startswith(live.url + "/"), key
        for variable in variables:
            assert "{" + variable + "}" in s[key]
    assert isinstance(s["state"], str) and s["state"]


def test_mail_account_capability(client):
    """RFC 8621 §1.3.1: the mail account capability lists its limits and sort options."""
    mail = client.session["accounts"][client.account_id]["accountCapabilities"][MAIL]
    for key in ("maxMailboxesPerEmail", "maxMailboxDepth", "maxSizeMailboxName", "maxSizeAttachmentsPerEmail",
                "emailQuerySortOptions", "mayCreateTopLevelMailbox"):
        assert key in mail
    assert mail["maxSizeMailboxName"] >= 100
    assert "receivedAt" in mail["emailQuerySortOptions"]


def test_session_not_cached(client):
    """RFC 8620 §2: HTTP caching of the Session is disabled."""
    r = client.http.get("/jmap/session")
    assert "no-store" in r.headers["cache-control"]


def test_well_known_redirects_without_credentials(live):
    """RFC 8620 §2.2: /.well-known/jmap redirects to the Session resource, with no credentials needed."""
    r = httpx.get(live.url + "/.well-known/jmap")
    assert r.status_code in (301, 302, 307, 308)
    assert r.headers["location"] == live.url + "/jmap/session"


@pytest.mark.parametrize("path,method", [("/jmap/session", "GET"), ("/jmap/api", "POST"),
                                         ("/jmap/upload/x/", "POST"), ("/jmap/download/x/y/z", "GET"),
                                         ("/jmap/eventsource/", "GET")])
def test_every_route_requires_auth(live, path, method):
    """RFC 8620 §8.2: all requests are authenticated; 401 with a WWW-Authenticate challenge otherwise."""
    r = httpx.request(method, live.url + path)
    assert r.status_code == 401
    assert "Basic" in r.headers["www-authenticate"]
    assert "Bearer" in r.headers["www-authenticate"]


def test_wrong_password_and_garbled_header(client, live):
    """RFC 8620 §8.2: bad credentials get 401, whatever shape they come in."""
    assert httpx.get(live.url + "/jmap/session", auth=(client.username, "wrong")).status_code == 401
    for header in ("Basic !!!notbase64", "Basic " + base64.b64encode(b"nocolon").decode(), "Digest abc",
                   "Bearer", "Bearer nope", "Basic " + base64.b64encode(b"\xff\xfe:x").decode()):
        assert httpx.get(live.url + "/jmap/session", headers={"authorization": header}).status_code == 401


def test_bearer_token(client, live):
    """RFC 8620 §8.2 (RFC 6750): an API token authenticates as the user that created it."""
    from store.users import create_token

    token = live.server.store.write(lambda txn: create_token(txn, client.username, "test"))
    r = httpx.get(live.url + "/jmap/session", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.json()["username"] == client.username


def test_token_as_basic_password_of_its_own_user_only(make_client, live):
    """RFC 7617 Basic with an API token as the password (what mail apps that know only a user name
    and password can send): it proves its own user, never another."""
    from store.users import create_token

    owner, other = make_client(), make_client()
    token = live.server.store.write(lambda txn: create_token(txn, owner.username, "mail app"))
    assert httpx.get(live.url + "/jmap/session", auth=(owner.username, token)).status_code == 200
    assert httpx.get(live.url + "/jmap/session", auth=(other.username, token)).status_code == 401
    assert httpx.get(live.url + "/jmap/session", auth=(owner.username, token + "x")).status_code == 401


def test_password_change_revokes_cached_login(client, live):
    """Passwords are checked against the current hash: an old password stops working at once."""
    from store.users import hash_password, set_password

    assert httpx.get(live.url + "/jmap/session", auth=(client.username, "secret-pw")).status_code == 200
    new_hash = hash_password("new-pw")
    live.server.store.write(lambda txn: set_password(txn, client.username, new_hash))
    assert httpx.get(live.url + "/jmap/session", auth=(client.username, "secret-pw")).status_code == 401
    assert httpx.get(live.url + "/jmap/session", auth=(client.username, "new-pw")).status_code == 200


def test_passwords_stored_hashed(client, live):
    """Security: the store keeps a salted scrypt hash, never the password."""
    from store.users import get_user

    with live.server.store.read() as txn:
        user = get_user(txn, client.username)
    assert "secret-pw" not in user.password_hash
    assert user.password_hash.startswith("scrypt$")


def test_cors_preflight_on_loopback(live):
    """Browser clients: a CORS preflight is answered, and Authorization may be sent (any origin on loopback)."""
    r = httpx.options(live.url + "/jmap/api", headers={
        "origin": "http://app.example", "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] in ("*", "http://app.example")
    assert "authorization" in r.headers["access-control-allow-headers"].lower()


def test_cors_configured_origins():
    """CORS: with configured origins, only those are allowed, on preflights and on the API calls
    themselves (including their errors)."""
    with LiveServer(cors_origins=["https://good.example"]) as server:
        def preflight(origin):
            return httpx.options(server.url + "/jmap/api", headers={
                "origin": origin, "access-control-request-method": "POST"})
        assert preflight("https://good.example").headers.get("access-control-allow-origin") == "https://good.example"
        assert "access-control-allow-origin" not in preflight("https://evil.example").headers

        server.add_user("cors", "pw")
        body = {"using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {}, "c"]]}

        def call(origin, auth=("cors", "pw")):
            return httpx.post(server.url + "/jmap/api/", json=body, auth=auth, headers={"origin": origin})
        good = call("https://good.example")
        assert good.status_code == 200 and good.json()["methodResponses"] == [["Core/echo", {}, "c"]]
        assert good.headers["access-control-allow-origin"] == "https://good.example"
        assert "access-control-allow-origin" not in call("https://evil.example").headers
        # A browser must be able to read why it was refused.
        refused = call("https://good.example", auth=("cors", "wrong"))
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == "https://good.example"


def test_forwarded_headers_only_from_trusted_proxies():
    """Behind a reverse proxy, X-Forwarded-Proto/Host shape Session URLs only when the proxy is trusted."""
    headers = {"x-forwarded-proto": "https", "x-forwarded-host": "mail.example.com"}
    for trusted, expected in ((["127.0.0.1"], "https://mail.example.com/jmap/api/"), ([], None)):
        with LiveServer(trusted_proxies=trusted) as server:
            server.add_user("p", "pw")
            s = httpx.get(server.url + "/jmap/session", auth=("p", "pw"), headers=headers).json()
            assert s["apiUrl"] == (expected or server.url + "/jmap/api/")


def test_public_url_shapes_session():
    """A configured public URL is what clients are told to use (RFC 8620 §2 URLs)."""
    with LiveServer(public_url="https://jmap.example.org/") as server:
        server.add_user("p", "pw")
        s = httpx.get(server.url + "/jmap/session", auth=("p", "pw")).json()
        assert s["apiUrl"] == "https://jmap.example.org/jmap/api/"
        assert s["uploadUrl"] == "https://jmap.example.org/jmap/upload/{accountId}/"
