#!/usr/bin/env bash
# End to end behind a real MTA: Postfix (from Debian's packages) takes a message over SMTP and hands
# it to jmapd over LMTP; the message is then found through JMAP. Not part of `make test`: it installs
# and runs Postfix on this machine, as root.
#
#     sudo scripts/postfix_e2e.sh          # prints PASS and exits 0, or FAIL with the reason and exits 1
#
# Everything listens on loopback only: Postfix on 127.0.0.1:$SMTP_PORT, jmapd's HTTP and LMTP on free
# ports. Postfix is configured in a private folder (its own main.cf and master.cf, its own queue), so
# any Postfix already set up on the machine is left alone; that Postfix is stopped only if this one
# was started.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
PY="$HERE/.venv/bin/python"
JMAPD="$HERE/.venv/bin/jmapd"
SMTP_PORT="${SMTP_PORT:-2525}"
WORK="$(mktemp -d /tmp/jmapd-postfix-e2e.XXXXXX)"
chmod 755 "$WORK"  # Postfix's own processes (user postfix) read their configuration and queue here

fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (it installs and starts Postfix)"
[ -x "$JMAPD" ] || (cd "$HERE" && make install >/dev/null)

if ! command -v postfix >/dev/null 2>&1; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi

free_port() { "$PY" -c 'from jmapd.testing import free_port; print(free_port())'; }
HTTP_PORT="$(free_port)"
LMTP_PORT="$(free_port)"
DATA="$WORK/data"
CONF="$WORK/postfix"
QUEUE="$WORK/queue"

cleanup() {
    postfix -c "$CONF" stop >/dev/null 2>&1 || true
    if [ -n "${MAIN_CF_BACKUP:-}" ]; then cp "$MAIN_CF_BACKUP" /etc/postfix/main.cf; elif [ -n "${MAIN_CF_MADE:-}" ]; then rm -f /etc/postfix/main.cf; fi
    [ -n "${JMAPD_PID:-}" ] && kill "$JMAPD_PID" 2>/dev/null && wait "$JMAPD_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# jmapd: one user in the domain Postfix will hand over.
"$JMAPD" user add alice --password alice-pw --email alice@example.test --data "$DATA" >/dev/null
"$JMAPD" serve --data "$DATA" --port "$HTTP_PORT" --lmtp "127.0.0.1:$LMTP_PORT" >"$WORK/jmapd.log" 2>&1 &
JMAPD_PID=$!
"$PY" -c "from jmapd.testing import wait_until_answering as w; w('http://127.0.0.1:$HTTP_PORT/.well-known/jmap', 30)"

# Postfix: a private instance that delivers example.test to jmapd over LMTP.
mkdir -p "$CONF" "$QUEUE"
cp /etc/postfix/master.cf "$CONF/master.cf" 2>/dev/null || cp /usr/share/postfix/master.cf.dist "$CONF/master.cf"
sed -i "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$SMTP_PORT      inet  n       -       n       -       -       smtpd/" "$CONF/master.cf"
grep -q "^127.0.0.1:$SMTP_PORT" "$CONF/master.cf" || fail "could not set Postfix's SMTP port in master.cf"
cat >"$CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $QUEUE
data_directory = $WORK/postfix-data
myhostname = mta.example.test
mydomain = example.test
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = example.test
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
maillog_file = $WORK/postfix.log
maillog_file_prefixes = $WORK
smtputf8_enable = yes
EOF
# Postfix runs a configuration folder other than its own only where its own main.cf allows it.
if [ -f /etc/postfix/main.cf ]; then
    MAIN_CF_BACKUP="$WORK/main.cf.saved"
    cp /etc/postfix/main.cf "$MAIN_CF_BACKUP"
else
    MAIN_CF_MADE=1
fi
echo "alternate_config_directories = $CONF" >>/etc/postfix/main.cf
mkdir -p "$WORK/postfix-data"
chown postfix "$WORK/postfix-data"
postfix -c "$CONF" set-permissions >/dev/null 2>&1 || true
# (Postfix tells what is wrong on a terminal or in syslog only: `script` gives it a terminal.)
script -qc "postfix -c $CONF check" /dev/null || fail "postfix check"
script -qc "postfix -c $CONF start" /dev/null >/dev/null || fail "Postfix did not start (see $WORK/postfix.log)"

# Send through Postfix, then look for the message over JMAP.
SUBJECT="postfix-e2e-$(date +%s)"
"$PY" - "$SMTP_PORT" "$HTTP_PORT" "$SUBJECT" <<'EOF' || { tail -n 20 "$WORK/postfix.log" 2>/dev/null; fail "the message did not arrive"; }
import smtplib, sys, time, httpx
smtp_port, http_port, subject = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 30
while True:
    try:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.sendmail("bob@sender.test", ["alice+e2e@example.test"],
                          f"From: bob@sender.test\r\nTo: alice+e2e@example.test\r\nSubject: {subject}\r\n\r\nvia Postfix\r\n")
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.5)
http = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", auth=("alice", "alice-pw"), timeout=30)
session = http.get("/jmap/session").json()
account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
calls = [["Email/query", {"accountId": account, "filter": {"subject": subject}}, "q"],
         ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"},
                        "properties": ["subject", "header:Delivered-To:asText", "header:Received:all"]}, "g"]]
while time.monotonic() < deadline:
    got = http.post(session["apiUrl"], json={"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
                                             "methodCalls": calls}).json()["methodResponses"][1][1]["list"]
    if got:
        email = got[0]
        print("found over JMAP:", email["subject"], "| Delivered-To:", email["header:Delivered-To:asText"])
        print("Received:", " / ".join(r.split(";")[0].replace("\n", " ")[:90] for r in email["header:Received:all"]))
        assert email["header:Delivered-To:asText"] == "alice+e2e@example.test"
        assert any("with LMTP" in r for r in email["header:Received:all"])
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
EOF
echo "PASS: Postfix $(postconf -d -h mail_version 2>/dev/null) delivered over LMTP to jmapd"
