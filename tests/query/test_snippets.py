"""SearchSnippet/get (RFC 8621 §5): marked subject and preview, HTML escaping, the 255-octet
preview limit, nulls when nothing matches, and the method's errors."""

from __future__ import annotations

import html
import re

import pytest

from .conftest import build

MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
LONG_RU = ("Рыба плавает в реке, и это совсем обычное дело для любой реки. " * 12 + "Здесь спрятано слово "
           "осётр, которое мы ищем. " + "После него идёт ещё немного текста о реках и рыбе. " * 6)


@pytest.fixture(scope="module")
def box(make_account):
    account, other = make_account(), make_account()
    specs = {
        "fish": build("Fish & Chips <special> offer", body="Our fish is fresh & tasty <b>really</b>, > the rest."),
        "long": build("Длинное письмо про Осётр", body=LONG_RU),
        "html": build("Café menu", body=None, html="<html><head><title>ignored</title></head><body><p>The <b>café</b>"
                      " serves espresso &amp; croissants &lt;daily&gt;.</p></body></html>"),
        "plain": build("Nothing special", body="Only chips here, no other dish."),
        "ascii-long": build("Long ascii", body=("lorem ipsum dolor sit amet " * 30) + "needle"
                            + (" consectetur adipiscing" * 30)),
    }
    created = account.import_many([account.import_item(raw) for raw in specs.values()])
    ids = {name: c["id"] for name, c in zip(specs, created)}
    # Ids are only unique within an account: take one of the other account's that this one lacks.
    others = other.import_many([other.import_item(build("Fish elsewhere", body="fish fish")) for _ in range(8)])
    foreign = others[-1]["id"]
    assert account.ok("Email/get", {"ids": [foreign], "properties": ["id"]})["notFound"] == [foreign]
    return account, ids, foreign


def snippets(account, filter, ids) -> dict[str, dict]:
    result = account.ok("SearchSnippet/get", {"filter": filter, "emailIds": ids})
    assert result["accountId"] == account.account_id
    return {s["emailId"]: s for s in result["list"]}


def check_markup(snippet: str) -> str:
    """§5: &, < and > are HTML entities; the only markup is <mark></mark>. Returns the plain text."""
    bare = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare, snippet
    entity = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
    assert all(entity.match(bare, m.start()) for m in re.finditer("&", bare)), snippet
    return html.unescape(bare)


def marked(snippet: str) -> list[str]:
    return [html.unescape(m).casefold() for m in MARK.findall(snippet)]


def squash(text: str) -> str:
    return " ".join(text.split())


def test_subject_and_preview_are_marked_and_escaped(box):
    """§5 subject: the Email's subject with &, <, > escaped and the matching words in <mark>; preview:
    the relevant part of the body with the same transformations."""
    account, ids, _ = box
    found = snippets(account, {"text": "fish"}, [ids["fish"]])[ids["fish"]]
    assert check_markup(found["subject"]) == "Fish & Chips <special> offer"
    assert marked(found["subject"]) == ["fish"]
    assert "&amp;" in found["subject"] and "&lt;special&gt;" in found["subject"]
    preview = check_markup(found["preview"])
    assert squash(preview) in squash("Our fish is fresh & tasty <b>really</b>, > the rest.")
    assert marked(found["preview"]) == ["fish"]
    assert "&lt;b&gt;" in found["preview"]


def test_all_words_and_phrases_are_marked(box):
    """§5: the matching words and phrases from the filter are wrapped in <mark>."""
    account, ids, _ = box
    found = snippets(account, {"text": 'fish "fresh & tasty"'}, [ids["fish"]])[ids["fish"]]
    assert set(marked(found["preview"])) >= {"fish"}
    assert any("fresh" in m and "tasty" in m for m in marked(found["preview"]))
    found = snippets(account, {"operator": "AND", "conditions": [{"subject": "chips"}, {"body": "tasty"}]},
                     [ids["fish"]])[ids["fish"]]
    assert marked(found["subject"]) == ["chips"]
    assert marked(found["preview"]) == ["tasty"]


def test_marks_keep_the_original_text(box):
    """§5: a match found case- and accent-insensitively is marked as written in the Email."""
    account, ids, _ = box
    found = snippets(account, {"text": "CAFE"}, [ids["html"]])[ids["html"]]
    assert MARK.findall(found["subject"]) == ["Café"]
    assert [html.unescape(m) for m in MARK.findall(found["preview"])] == ["café"]
    found = snippets(account, {"text": "ОСЁТР"}, [ids["long"]])[ids["long"]]
    assert MARK.findall(found["subject"]) == ["Осётр"]


def test_html_body_preview_is_plain_text(box):
    """§5 preview: the body converted to plain text if it was HTML (tags gone, entities decoded and
    re-escaped)."""
    account, ids, _ = box
    found = snippets(account, {"body": "espresso"}, [ids["html"]])[ids["html"]]
    preview = check_markup(found["preview"])
    assert "<p>" not in preview and "ignored" not in preview
    assert squash(preview) in "The café serves espresso & croissants <daily>."
    assert "&amp;" in found["preview"] and "&lt;daily&gt;" in found["preview"]


@pytest.mark.parametrize("name,word", [("long", "осётр"), ("ascii-long", "needle")])
def test_preview_is_at_most_255_octets(box, name, word):
    """§5 preview: MUST NOT be bigger than 255 octets (UTF-8, markup and entities included), and
    shows the match even deep in a long body."""
    account, ids, _ = box
    found = snippets(account, {"body": word}, [ids[name]])[ids[name]]
    assert found["preview"] is not None
    assert len(found["preview"].encode("utf-8")) <= 255
    assert marked(found["preview"]) == [word]
    check_markup(found["preview"])


def test_null_when_nothing_matches(box):
    """§5: subject (preview) is null when the filter's text does not match the subject (body), and
    both are null when the filter has no text at all."""
    account, ids, _ = box
    got = snippets(account, {"text": "espresso"}, list(ids.values()))
    assert set(got) == set(ids.values())
    for name, email_id in ids.items():
        if name != "html":
            assert got[email_id]["subject"] is None and got[email_id]["preview"] is None, name
    assert got[ids["html"]]["subject"] is None and got[ids["html"]]["preview"] is not None
    got = snippets(account, {"text": "chips"}, [ids["plain"]])[ids["plain"]]
    assert got["subject"] is None and marked(got["preview"]) == ["chips"]
    for filter in (None, {"hasKeyword": "$seen"}, {"from": "alice"}, {"inMailbox": account.mailbox("inbox")}):
        for found in snippets(account, filter, list(ids.values())).values():
            assert found["subject"] is None and found["preview"] is None, filter


def test_terms_under_not_are_not_marked(box):
    """§5 marks what matched: a word the filter excludes (under NOT) is not a match, so it is not
    marked."""
    account, ids, _ = box
    filter = {"operator": "AND", "conditions": [
        {"text": "fish"}, {"operator": "NOT", "conditions": [{"text": "chips"}, {"subject": "offer"}]}]}
    found = snippets(account, filter, [ids["fish"]])[ids["fish"]]
    assert marked(found["subject"]) == ["fish"]
    found = snippets(account, {"operator": "NOT", "conditions": [{"text": "fish"}]}, [ids["fish"]])[ids["fish"]]
    assert found["subject"] is None and found["preview"] is None
    deep = {"operator": "OR", "conditions": [{"operator": "NOT", "conditions": [
        {"operator": "AND", "conditions": [{"body": "tasty"}]}]}, {"subject": "chips"}]}
    found = snippets(account, deep, [ids["fish"]])[ids["fish"]]
    assert marked(found["subject"]) == ["chips"] and found["preview"] is None


def test_not_found(box):
    """§5.1 notFound: ids that are no Email of the account (including another account's Email);
    null when every id was found."""
    account, ids, foreign = box
    result = account.ok("SearchSnippet/get", {"filter": {"text": "fish"}, "emailIds": [ids["fish"], "nope", foreign]})
    assert [s["emailId"] for s in result["list"]] == [ids["fish"]]
    assert sorted(result["notFound"]) == sorted(["nope", foreign])
    result = account.ok("SearchSnippet/get", {"filter": {"text": "fish"}, "emailIds": [ids["fish"]]})
    assert result["notFound"] is None
    result = account.ok("SearchSnippet/get", {"filter": {"text": "fish"}, "emailIds": []})
    assert result["list"] == [] and result["notFound"] is None
    assert all("id" not in s for s in snippets(account, {"text": "fish"}, list(ids.values())).values())


def test_request_too_large(box):
    """§5.1 requestTooLarge: more emailIds than the server's maxObjectsInGet."""
    account, ids, _ = box
    limit = account.session["capabilities"]["urn:ietf:params:jmap:core"]["maxObjectsInGet"]
    too_many = [ids["fish"]] + [f"E{n}x" for n in range(limit)]
    assert account.error("SearchSnippet/get", {"filter": {"text": "fish"}, "emailIds": too_many}) == "requestTooLarge"
    at_limit = too_many[:limit]
    result = account.ok("SearchSnippet/get", {"filter": {"text": "fish"}, "emailIds": at_limit})
    assert len(result["list"]) == 1 and len(result["notFound"]) == limit - 1


def test_unsupported_filter(box):
    """§5.1 unsupportedFilter: a filter the server cannot process, at any depth."""
    account, ids, _ = box
    for filter in ({"fuzzy": "fish"}, {"operator": "NOT", "conditions": [{"operator": "OR", "conditions": [
            {"text": "fish", "soundsLike": "fis"}]}]}):
        assert account.error("SearchSnippet/get", {"filter": filter, "emailIds": [ids["fish"]]}) == "unsupportedFilter"


def test_missing_or_wrong_arguments(box):
    """RFC 8620 §3.6.2 invalidArguments: emailIds is required and an Id[]."""
    account, ids, _ = box
    assert account.error("SearchSnippet/get", {"filter": {"text": "fish"}}) == "invalidArguments"
    assert account.error("SearchSnippet/get", {"filter": {"text": "fish"}, "emailIds": ids["fish"]}) == \
        "invalidArguments"
    assert account.error("SearchSnippet/get", {"filter": [], "emailIds": [ids["fish"]]}) == "invalidArguments"


def test_snippets_for_query_results_in_one_request(box):
    """§5.2: the usual pairing, Email/query then SearchSnippet/get on its ids by back-reference
    (RFC 8620 §3.7): one snippet per result, each marking the searched word."""
    account, ids, _ = box
    responses = account.request([
        ["Email/query", {"accountId": account.account_id, "filter": {"text": "chips"}}, "q"],
        ["SearchSnippet/get", {"accountId": account.account_id, "filter": {"text": "chips"},
                               "#emailIds": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "s"],
    ])
    assert [r[0] for r in responses] == ["Email/query", "SearchSnippet/get"], responses
    assert set(responses[0][1]["ids"]) == {ids["fish"], ids["plain"]}
    listed = responses[1][1]["list"]
    assert {s["emailId"] for s in listed} == {ids["fish"], ids["plain"]}
    for s in listed:
        assert "chips" in marked(s["subject"] or "") + marked(s["preview"] or "")


def test_double_negation_marks_again(box):
    """§5: NOT of NOT requires the word, so it is a matching word and is marked."""
    account, ids, _ = box
    filter = {"operator": "NOT", "conditions": [{"operator": "NOT", "conditions": [{"text": "fish"}]}]}
    assert ids["fish"] in account.ids(filter)
    found = snippets(account, filter, [ids["fish"]])[ids["fish"]]
    assert marked(found["subject"]) == ["fish"]


@pytest.mark.parametrize("filter", [{"text": 5}, {"subject": ["fish"]}, {"minSize": "x"}, {"header": []},
                                    {"operator": "XOR", "conditions": []},
                                    {"operator": "AND", "conditions": [{"operator": "NOT", "conditions": [
                                        {"body": None}]}]}])
def test_filter_with_wrong_types(box, filter):
    """§5.1 filter: the same filter as Email/query takes, so what Email/query rejects as
    invalidArguments (RFC 8620 §3.6.2) SearchSnippet/get rejects too."""
    account, ids, _ = box
    assert account.query_error(filter) == "invalidArguments"
    assert account.error("SearchSnippet/get", {"filter": filter, "emailIds": [ids["fish"]]}) == "invalidArguments"
