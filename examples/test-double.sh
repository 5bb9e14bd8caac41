#!/usr/bin/env bash
# jmapd as the JMAP server of any test harness that can start a process and read a line:
#   JMAPD=/path/to/.venv/bin/jmapd examples/test-double.sh
set -euo pipefail
JMAPD=${JMAPD:-jmapd}
coproc SERVER { exec "$JMAPD" serve --ephemeral --users alice --seed demo; }
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
read -r INFO <&"${SERVER[0]}"                      # the one line of JSON
field() { python3 -c 'import json, sys; print(eval("json.load(sys.stdin)" + sys.argv[1]))' "$1" <<<"$INFO"; }
API=$(field '["apiUrl"]'); ACCOUNT=$(field '["users"][0]["accountId"]')
USER=$(field '["users"][0]["username"]'); PASS=$(field '["users"][0]["password"]')
ADMIN=$(field '["adminUrl"]'); TOKEN=$(field '["adminToken"]')

curl -sf -u "$USER:$PASS" -H 'Content-Type: application/json' "$API" -d '{
  "using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
  "methodCalls": [["Email/query", {"accountId": "'"$ACCOUNT"'", "calculateTotal": true, "limit": 0}, "0"]]}'
echo
# Put the account back as it started (between two tests of a suite).
curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$ADMIN/users/$USER/reset"
echo
