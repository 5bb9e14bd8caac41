"""getIdentities, getIdentityUpdates, setIdentities (draft-jenkins-jmapmail-00 §6) and
getVacationResponse, setVacationResponse (§8), over the same records as RFC 8621 §6 and §8."""

from __future__ import annotations

import pytest

from jmapd.testing import LiveServer, free_port

from .conftest import DraftClient


@pytest.fixture(scope="module")
def sending_server():
    """A server that sends (to a relay nobody listens on: nothing is sent here), so RFC 8621
    clients have the submission capability and see the same Identities."""
    with LiveServer(relay=f"127.0.0.1:{free_port()}") as server:
        yield server


@pytest.fixture
def draft(sending_server, client_type, request):
    name = f"i{abs(hash(request.node.nodeid)) % 10**8}"
    sending_server.add_user(name, "pw", f"{name}@example.test")
    rfc = client_type(sending_server.url, name, "pw")
    yield DraftClient(rfc)
    rfc.close()


def test_get_identities(draft):
    """draft §6, §6.1: the user's default identity, with replyTo and bcc as strings and
    mayDeleteIdentity false for the account's own address; notFound null when ids is null."""
    got = draft.ok("getIdentities", "identities", {"ids": None})
    assert got["notFound"] is None and got["state"]
    [identity] = got["list"]
    assert set(identity) == {"id", "name", "email", "replyTo", "bcc", "textSignature", "htmlSignature",
                             "mayDeleteIdentity"}
    assert identity["email"] == f"{draft.rfc.username}@example.test"
    assert identity["mayDeleteIdentity"] is False and identity["replyTo"] == ""
    missing = draft.ok("getIdentities", "identities", {"ids": [identity["id"], "Inope"]})
    assert missing["notFound"] == ["Inope"] and len(missing["list"]) == 1


def test_set_identities_and_updates(draft):
    """draft §6.2, §6.3: create (an address the user may not send from is emailNotPermitted), update
    the strings, destroy (the undeletable one is forbidden); changes show in getIdentityUpdates and
    in RFC 8621 Identity/get."""
    own = draft.ok("getIdentities", "identities")
    identity_id, state = own["list"][0]["id"], own["state"]
    email = own["list"][0]["email"]
    result = draft.ok("setIdentities", "identitiesSet", {
        "create": {"work": {"name": "At work", "email": email, "replyTo": '"Desk" <desk@example.test>',
                            "textSignature": "-- \nMe"},
                   "stolen": {"name": "CEO", "email": "ceo@bank.example"},
                   "server": {"email": email, "mayDeleteIdentity": True}},
        "update": {identity_id: {"bcc": "archive@example.test, Boss <boss@example.test>", "email": email}}})
    work = result["created"]["work"]["id"]
    assert result["created"] == {"work": {"id": work}}
    assert result["notCreated"]["stolen"]["type"] == "emailNotPermitted"
    assert result["notCreated"]["server"]["properties"] == ["mayDeleteIdentity"]
    assert result["updated"] == [identity_id]
    refused = draft.ok("setIdentities", "identitiesSet", {"destroy": [identity_id]})
    assert refused["notDestroyed"][identity_id]["type"] == "forbidden"
    rfc = draft.rfc.request([["Identity/get", {"accountId": draft.account_id, "ids": [identity_id, work]}, "i"]],
                            using=["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:submission"]
                            )["methodResponses"][0][1]["list"]
    by_id = {i["id"]: i for i in rfc}
    assert by_id[identity_id]["bcc"] == [{"name": None, "email": "archive@example.test"},
                                         {"name": "Boss", "email": "boss@example.test"}]
    assert by_id[work]["replyTo"] == [{"name": "Desk", "email": "desk@example.test"}]
    shown = {i["id"]: i for i in draft.ok("getIdentities", "identities")["list"]}
    assert shown[identity_id]["bcc"] == 'archive@example.test, "Boss" <boss@example.test>'
    responses = draft.send([["getIdentityUpdates", {"sinceState": state, "fetchRecords": True}, "u"]])
    assert [r[0] for r in responses] == ["identityUpdates", "identities"]
    assert sorted(responses[0][1]["changed"]) == sorted([identity_id, work]) and responses[0][1]["removed"] == []
    changed = draft.ok("setIdentities", "identitiesSet", {"update": {work: {"email": "other@example.test"}}})
    assert changed["notUpdated"][work]["properties"] == ["email"]
    gone = draft.ok("setIdentities", "identitiesSet", {"destroy": [work]})
    assert gone["destroyed"] == [work]


def test_vacation_response(draft):
    """draft §8.1, §8.2: exactly one VacationResponse, "singleton"; its update is seen by RFC 8621
    VacationResponse/get; another id is invalidArguments; a bad value is invalidProperties."""
    got = draft.ok("getVacationResponse", "vacationResponse")
    assert got["list"] == [{"id": "singleton", "isEnabled": False, "fromDate": None, "toDate": None,
                            "subject": None, "textBody": None, "htmlBody": None}]
    result = draft.ok("setVacationResponse", "vacationResponseSet", {"update": {"singleton": {
        "isEnabled": True, "toDate": "2030-01-01T00:00:00Z", "textBody": "Away until January."}}})
    assert result["updated"] == ["singleton"] and result["notUpdated"] == {}
    rfc = draft.rfc.request([["VacationResponse/get", {"accountId": draft.account_id}, "v"]],
                            using=["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:vacationresponse"]
                            )["methodResponses"][0][1]["list"][0]
    assert rfc["isEnabled"] is True and rfc["textBody"] == "Away until January."
    assert draft.error("setVacationResponse", {"update": {"other": {"isEnabled": False}}}) == "invalidArguments"
    bad = draft.ok("setVacationResponse", "vacationResponseSet", {"update": {"singleton": {"fromDate": "soon"}}})
    assert bad["updated"] == [] and bad["notUpdated"]["singleton"]["type"] == "invalidProperties"
