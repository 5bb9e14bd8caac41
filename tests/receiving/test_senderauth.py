"""Sender authentication as the MX: SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489), recorded in
Authentication-Results (RFC 8601), with lookups answered by a name server of the test's own."""

from __future__ import annotations

import smtplib

import authres
import dkim
import pytest

from .conftest import header, inbox_emails, message, port_of, unique


def mx_send(mailserver, sender: str, rcpt: str, raw: bytes, helo: str = "mail.sender.test") -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port_of(mailserver, "smtp")) as client:
        client.ehlo(helo)
        assert client.mail(sender)[0] == 250
        assert client.rcpt(rcpt)[0] == 250
        return client.data(raw)


def results_of(email: dict) -> dict[str, str]:
    """{method: result} from the one Authentication-Results field of this server."""
    [field] = header(email, "Authentication-Results")
    parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {field}")
    assert parsed.authserv_id == "mx.example.test"
    return {r.method: r.result for r in parsed.results}


def signed(raw: bytes, key: bytes, domain: str, selector: str = "sel") -> bytes:
    signature = dkim.sign(raw, selector.encode(), domain.encode(), key,
                          include_headers=[b"from", b"to", b"subject", b"message-id"])
    return signature + raw


@pytest.fixture
def domain(nameserver, dkim_key):
    """A fresh sending domain with a DKIM key published under selector `sel`."""
    name = f"{unique('d')}.sender.test"
    nameserver.txt(f"sel._domainkey.{name}", f"v=DKIM1; k=rsa; p={dkim_key[1]}")
    return name


def test_dkim_signed_mail_passes_and_a_tampered_copy_fails(mailserver, jmap_user, domain, dkim_key, nameserver):
    """RFC 6376 §6.1: a signature that verifies against the published key passes; changing a
    signed header afterwards makes it fail. RFC 8601 §2.7.1 result words."""
    alice = jmap_user()
    rcpt = f"{alice.username}@example.test"
    good = signed(message("signed", sender=f"news@{domain}"), dkim_key[0], domain)
    assert mx_send(mailserver, f"news@{domain}", rcpt, good)[0] == 250
    tampered = good.replace(b"Subject: signed", b"Subject: changed")
    assert mx_send(mailserver, f"news@{domain}", rcpt, tampered)[0] == 250
    by_subject = {e["subject"]: results_of(e) for e in inbox_emails(alice)}
    assert by_subject["signed"]["dkim"] == "pass"
    assert by_subject["changed"]["dkim"] == "fail"


def test_spf_pass_fail_softfail_and_none(mailserver, jmap_user, nameserver):
    """RFC 7208 §4.6 and §2.6: the client's address matched against the MAIL FROM domain's record,
    through ip4 and include and a; an unmatched `-all` is fail, `~all` softfail; no record is none."""
    alice = jmap_user()
    rcpt = f"{alice.username}@example.test"
    ok, bad, soft, bare = (f"{unique(p)}.spf.test" for p in ("ok", "bad", "soft", "bare"))
    nameserver.txt(ok, f"v=spf1 include:inc.{ok} -all")
    nameserver.txt(f"inc.{ok}", f"v=spf1 a:host.{ok} ip4:192.0.2.0/24 -all")
    nameserver.add(f"host.{ok}", "A", "127.0.0.1")
    nameserver.txt(bad, "v=spf1 ip4:192.0.2.1 -all")
    nameserver.txt(soft, "v=spf1 ip4:192.0.2.1 ~all")
    nameserver.add(bare, "A", "192.0.2.7")
    for domain, subject in ((ok, "spf-ok"), (bad, "spf-bad"), (soft, "spf-soft"), (bare, "spf-none")):
        assert mx_send(mailserver, f"bob@{domain}", rcpt, message(subject, sender=f"bob@{domain}"))[0] == 250
    results = {e["subject"]: results_of(e)["spf"] for e in inbox_emails(alice)}
    assert results == {"spf-ok": "pass", "spf-bad": "fail", "spf-soft": "softfail", "spf-none": "none"}


def test_dmarc_reject_is_refused_at_end_of_data(mailserver, jmap_user, nameserver):
    """RFC 7489 §6.6.2 and §6.3 p=reject: a message failing DMARC (no aligned SPF or DKIM pass)
    is refused at the end of DATA, and nothing is stored."""
    alice = jmap_user()
    strict = f"{unique('strict')}.dmarc.test"
    nameserver.txt(strict, "v=spf1 ip4:192.0.2.1 -all")
    nameserver.txt(f"_dmarc.{strict}", "v=DMARC1; p=reject")
    code, reply = mx_send(mailserver, f"ceo@{strict}", f"{alice.username}@example.test",
                          message("urgent", sender=f"ceo@{strict}"))
    assert code == 550 and b"DMARC" in reply
    assert inbox_emails(alice) == []


def test_dmarc_quarantine_goes_to_junk_and_aligned_spf_passes(mailserver, jmap_user, nameserver):
    """RFC 7489 §6.3 p=quarantine: a failing message goes to the Junk mailbox; relaxed alignment
    (§3.1.2): SPF passing for a subdomain of the organizational domain passes DMARC."""
    alice = jmap_user()
    rcpt = f"{alice.username}@example.test"
    org = f"{unique('org')}.dmarc.test"
    nameserver.txt(f"_dmarc.{org}", "v=DMARC1; p=quarantine")
    nameserver.txt(f"bounces.{org}", "v=spf1 ip4:127.0.0.0/8 -all")
    nameserver.txt(org, "v=spf1 -all")
    assert mx_send(mailserver, f"b@bounces.{org}", rcpt, message("aligned", sender=f"news@{org}"))[0] == 250
    assert mx_send(mailserver, f"b@{org}", rcpt, message("spoofed", sender=f"news@{org}"))[0] == 250
    [inboxed] = inbox_emails(alice)
    assert inboxed["subject"] == "aligned" and results_of(inboxed)["dmarc"] == "pass"
    [junked] = inbox_emails(alice, "junk")
    assert junked["subject"] == "spoofed" and results_of(junked)["dmarc"] == "fail"


def test_forged_results_in_our_name_are_removed(mailserver, jmap_user, nameserver):
    """RFC 8601 §5: Authentication-Results fields claiming this server's authserv-id that arrive
    with a message are removed; others' stay."""
    alice = jmap_user()
    forged = ("Authentication-Results: mx.example.test; dkim=pass header.d=bank.test\r\n"
              "Authentication-Results: other.test; spf=pass smtp.mailfrom=x@other.test\r\n")
    assert mx_send(mailserver, "bob@nowhere.test", f"{alice.username}@example.test",
                   message("forged", extra=forged))[0] == 250
    [email] = inbox_emails(alice)
    fields = header(email, "Authentication-Results")
    assert len(fields) == 2
    assert not any("dkim=pass" in f for f in fields)
    assert any(f.startswith("other.test") for f in fields)


def test_dns_failure_is_temperror_not_a_refusal(mailserver, jmap_user, nameserver):
    """RFC 7208 §2.6.6 and RFC 7489 §6.6.3: a name server that fails gives temperror; the message
    is still taken (no policy could be read to refuse it)."""
    alice = jmap_user()
    broken = f"{unique('broken')}.spf.test"
    nameserver.failing.update({broken, f"_dmarc.{broken}"})
    assert mx_send(mailserver, f"bob@{broken}", f"{alice.username}@example.test",
                   message("broken dns", sender=f"bob@{broken}"))[0] == 250
    [email] = inbox_emails(alice)
    results = results_of(email)
    assert results["spf"] == "temperror" and results["dmarc"] == "temperror"


def test_spf_redirect_macros_and_the_lookup_limit(mailserver, jmap_user, nameserver):
    """RFC 7208 §6.1 (redirect), §7 (macros: %{i} reversed for `exists`), §4.6.4 (more than 10
    DNS-querying terms is permerror)."""
    alice = jmap_user()
    rcpt = f"{alice.username}@example.test"
    redirected, macro, greedy = (f"{unique(p)}.spf.test" for p in ("redir", "macro", "greedy"))
    nameserver.txt(redirected, f"v=spf1 redirect=policy.{redirected}")
    nameserver.txt(f"policy.{redirected}", "v=spf1 ip4:127.0.0.1 -all")
    nameserver.txt(macro, "v=spf1 exists:%{ir}.allow.%{d} -all")
    nameserver.add(f"1.0.0.127.allow.{macro}", "A", "127.0.0.2")
    nameserver.txt(greedy, " ".join(["v=spf1"] + [f"include:n{k}.{greedy}" for k in range(11)] + ["-all"]))
    for k in range(11):
        nameserver.txt(f"n{k}.{greedy}", "v=spf1 ip4:192.0.2.1 -all")
    for domain, subject in ((redirected, "redirected"), (macro, "macro"), (greedy, "greedy")):
        assert mx_send(mailserver, f"bob@{domain}", rcpt, message(subject, sender=f"bob@{domain}"))[0] == 250
    results = {e["subject"]: results_of(e)["spf"] for e in inbox_emails(alice)}
    assert results == {"redirected": "pass", "macro": "pass", "greedy": "permerror"}
