#!/usr/bin/env bash
# jmapd beside a real Cyrus IMAP 3.6 JMAP server on this machine: same dataset, same load generator.
#
#   bench/compare.sh [--count N] [--duration S] [--concurrency C]
#                    [--json-out FILE] [--markdown-out FILE] [--seed S] [--max-attachment-bytes B]
#
# Defaults: 100,000 messages, 10 s per scenario, 4 clients (at most each server's maxConcurrentRequests).
#
# 1. `jmapd seed --format eml` writes one deterministic dataset.
# 2. A fresh `jmapd serve` (temporary data folder, free port) is loaded over JMAP (upload +
#    Email/import); then each scenario of `jmapd bench` runs against it; then it is stopped.
# 3. A fresh Cyrus (the peer scripts in ../shared/peers/cyrus, private data folder, free ports) is
#    loaded with the same messages over IMAP MULTIAPPEND, keeping folders, flags and internal
#    dates; then the same scenarios run against it; then it is stopped.
# 4. bench/compare_report.py prints the table (jmapd, Cyrus, jmapd/Cyrus) and writes it as JSON
#    and markdown if asked.
#
# The servers run one after the other, so neither competes for the CPU while the other is
# measured. Both are loaded and their search index allowed to catch up (and jmapd's background
# segment merges to finish) before any scenario runs.
# Everything temporary lives in one folder that is removed at the end, also on failure or Ctrl-C.
#
# Needs root: the Cyrus peer's setup.sh installs its Debian packages on first use and Cyrus'
# master starts as root. Environment: CYRUS_PEER (the peer scripts' folder), CYRUSPEER_NODELAY
# (0 = Cyrus without its TCP_NODELAY shim; see the peer's README).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BIN="$ROOT/.venv/bin"
PEER="${CYRUS_PEER:-$(cd "$ROOT/.." && pwd)/shared/peers/cyrus}"
SCENARIOS=(mailbox-view open-thread search flag sync import)
USER_NAME=bench
PASSWORD=bench

COUNT=100000 DURATION=10 CONCURRENCY=4 SEED=1 MAX_ATTACHMENT="" JSON_OUT="" MARKDOWN_OUT=""

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() { echo "compare.sh: $*" >&2; exit 1; }
say() { echo "== $(date +%H:%M:%S) $*"; }

while (($#)); do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --max-attachment-bytes) MAX_ATTACHMENT="$2"; shift 2 ;;
    --json-out) JSON_OUT="$(realpath -m "$2")"; shift 2 ;;
    --markdown-out) MARKDOWN_OUT="$(realpath -m "$2")"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

# The outputs' folders are made before the run: finding one missing only at the end would lose
# the whole run's results (a fresh clone has no bench/out/).
for out in "$JSON_OUT" "$MARKDOWN_OUT"; do
  if [[ -n "$out" ]]; then mkdir -p "$(dirname "$out")" || die "cannot create the folder of $out"; fi
done
[[ -x "$BIN/jmapd" ]] || die "no $BIN/jmapd: run 'make install' first"
# The commit measured, taken now: the run lasts long enough for the checkout to move meanwhile.
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]] && COMMIT+=" with uncommitted changes"
[[ -x "$PEER/setup.sh" ]] || die "no Cyrus peer scripts in $PEER (set CYRUS_PEER)"
(($(id -u) == 0)) || die "must run as root: the Cyrus peer's setup.sh installs packages and master starts as root"

# ---------------------------------------------------------------- cleanup, whatever happens
WORK="$(mktemp -d "${TMPDIR:-/tmp}/jmapd-compare.XXXXXX")"
chmod 755 "$WORK"  # Cyrus runs as the cyrus user and must reach its data folder inside
JMAPD_PID=""
CYRUS_STARTED=0
# Cyrus gets a private data folder and free ports, so an instance someone else runs is left alone.
export CYRUSPEER_DIR="$WORK/cyrus" CYRUSPEER_USER="$USER_NAME" CYRUSPEER_PASS="$PASSWORD"
unset CYRUSPEER_SYSLOG  # its log sink costs CPU during a benchmark

stop_jmapd() {
  [[ -n "$JMAPD_PID" ]] || return 0
  kill -TERM "$JMAPD_PID" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$JMAPD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$JMAPD_PID" 2>/dev/null && kill -KILL "$JMAPD_PID" 2>/dev/null
  wait "$JMAPD_PID" 2>/dev/null || true
  JMAPD_PID=""
}

stop_cyrus() {
  ((CYRUS_STARTED)) || return 0
  "$PEER/stop.sh" >/dev/null || true
  CYRUS_STARTED=0
}

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  stop_jmapd
  stop_cyrus
  rm -rf --one-file-system "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_ports() {  # N free loopback TCP ports, one per line
  "$BIN/python" - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

wait_session() {  # URL [PID]: until the Session answers (and the process, if given, is alive)
  "$BIN/python" - "$USER_NAME" "$PASSWORD" "$@" <<'PY'
import os, sys, time
import httpx
user, password, url = sys.argv[1:4]
pid = int(sys.argv[4]) if len(sys.argv) > 4 else None
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if pid is not None and not os.path.exists(f"/proc/{pid}"):
        sys.exit(f"the server (pid {pid}) exited")
    try:
        httpx.get(url, auth=(user, password), follow_redirects=True, timeout=2).raise_for_status()
        sys.exit(0)
    except httpx.HTTPError:
        time.sleep(0.2)
sys.exit(f"{url} did not answer within 60 s")
PY
}

run_scenarios() {  # SERVER SESSION_URL [jmapd bench options...]: one `jmapd bench` per scenario
  local server=$1 url=$2 scenario
  shift 2
  for scenario in "${SCENARIOS[@]}"; do
    say "$server: $scenario (${DURATION} s, $CONCURRENCY clients)"
    # exit status 1 also means "finished, with errors"; compare_report.py tells the cases apart
    "$BIN/jmapd" bench --session-url "$url" --user "$USER_NAME" --password "$PASSWORD" \
      --duration "$DURATION" --concurrency "$CONCURRENCY" --json "$@" "$scenario" \
      >"$RESULTS/$server/$scenario.json" 2>"$RESULTS/$server/$scenario.err" || true
  done
}

RESULTS="$WORK/results"
DATASET="$WORK/dataset"
mkdir -p "$RESULTS/jmapd" "$RESULTS/cyrus"

# ---------------------------------------------------------------- 1. the dataset
say "generating $COUNT messages (seed $SEED)"
seed_options=(--out "$DATASET" --count "$COUNT" --seed "$SEED" --format eml)
[[ -n "$MAX_ATTACHMENT" ]] && seed_options+=(--max-attachment-bytes "$MAX_ATTACHMENT")
"$BIN/jmapd" seed "${seed_options[@]}" >"$WORK/seed.log"
head -1 "$WORK/seed.log"

# ---------------------------------------------------------------- 2. jmapd
JMAPD_DATA="$WORK/jmapd"
JMAPD_PORT="$(free_ports 1)"
JMAPD_URL="http://127.0.0.1:$JMAPD_PORT/.well-known/jmap"
"$BIN/jmapd" user add "$USER_NAME" --password "$PASSWORD" --data "$JMAPD_DATA" >/dev/null
"$BIN/jmapd" serve --port "$JMAPD_PORT" --data "$JMAPD_DATA" --workers 1 >"$WORK/jmapd.log" 2>&1 &
JMAPD_PID=$!
wait_session "$JMAPD_URL" "$JMAPD_PID" || { tail -20 "$WORK/jmapd.log" >&2; die "jmapd did not start"; }
say "jmapd (pid $JMAPD_PID, port $JMAPD_PORT): loading over JMAP upload + Email/import"
"$BIN/python" "$HERE/load_dataset.py" "$DATASET" --method jmap --session-url "$JMAPD_URL" \
  --user "$USER_NAME" --password "$PASSWORD" >"$RESULTS/jmapd/load.json"
cat "$RESULTS/jmapd/load.json"
say "jmapd: waiting for the index to finish merging segments in the background"
(cd "$HERE" && "$BIN/python" -c 'import sys; from servers import wait_index_settled; print(f"settled after {wait_index_settled(sys.argv[1]):.0f} s")' "$JMAPD_DATA")
run_scenarios jmapd "$JMAPD_URL" --server-pid "$JMAPD_PID"
stop_jmapd
rm -rf "$JMAPD_DATA"  # the next server's data needs the disk space more

# ---------------------------------------------------------------- 3. Cyrus
{ read -r CYRUSPEER_IMAP_PORT; read -r CYRUSPEER_HTTP_PORT; read -r CYRUSPEER_LMTP_PORT; } < <(free_ports 3)
export CYRUSPEER_IMAP_PORT CYRUSPEER_HTTP_PORT CYRUSPEER_LMTP_PORT
CYRUS_URL="http://127.0.0.1:$CYRUSPEER_HTTP_PORT/.well-known/jmap"
say "Cyrus: setup in $CYRUSPEER_DIR (installs its Debian packages the first time)"
CYRUSPEER_RESET=1 "$PEER/setup.sh" >"$WORK/cyrus-setup.log" 2>&1 \
  || { tail -20 "$WORK/cyrus-setup.log" >&2; die "Cyrus setup.sh failed"; }
CYRUS_STARTED=1  # from here on stop.sh runs at the end, even if start.sh fails half-way
"$PEER/start.sh" >"$WORK/cyrus-start.log" 2>&1 || { cat "$WORK/cyrus-start.log" >&2; die "Cyrus start.sh failed"; }
head -1 "$WORK/cyrus-start.log"
wait_session "$CYRUS_URL"
say "Cyrus (IMAP $CYRUSPEER_IMAP_PORT, HTTP $CYRUSPEER_HTTP_PORT): loading over IMAP MULTIAPPEND"
"$BIN/python" "$HERE/load_dataset.py" "$DATASET" --method imap --imap-port "$CYRUSPEER_IMAP_PORT" \
  --session-url "http://127.0.0.1:$CYRUSPEER_HTTP_PORT/jmap/" \
  --user "$USER_NAME" --password "$PASSWORD" >"$RESULTS/cyrus/load.json"
cat "$RESULTS/cyrus/load.json"
run_scenarios cyrus "$CYRUS_URL"
stop_cyrus

# ---------------------------------------------------------------- 4. the report
say "done"
echo
command="bench/compare.sh --count $COUNT --duration $DURATION --concurrency $CONCURRENCY"
[[ "$SEED" != 1 ]] && command+=" --seed $SEED"
[[ -n "$MAX_ATTACHMENT" ]] && command+=" --max-attachment-bytes $MAX_ATTACHMENT"
shim=$([[ "${CYRUSPEER_NODELAY:-1}" == 1 ]] && echo on || echo off)
cyrus_label="$(dpkg-query -W -f='${Version}' cyrus-imapd 2>/dev/null || echo 3.6) (TCP_NODELAY shim $shim)"
report_options=(--count "$COUNT" --duration "$DURATION" --concurrency "$CONCURRENCY" --scenarios "${SCENARIOS[@]}"
                --cyrus-label "$cyrus_label" --command "$command" --jmapd-commit "$COMMIT")
[[ -n "$JSON_OUT" ]] && report_options+=(--json-out "$JSON_OUT")
[[ -n "$MARKDOWN_OUT" ]] && report_options+=(--markdown-out "$MARKDOWN_OUT")
"$BIN/python" "$HERE/compare_report.py" "$RESULTS" "${report_options[@]}"
