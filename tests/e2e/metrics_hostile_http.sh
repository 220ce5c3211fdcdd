#!/usr/bin/env bash
# Slow or many HTTP clients on the metrics port do not stall the capture: zkdump captures a real
# ZooKeeper server's pipelined load live on lo while, on its metrics port, 200 connections sit
# idle, 20 send a request a byte at a time, 20 ask for /metrics and never read, and 4 threads
# scrape as fast as they can. zkdump must count every request the clients sent, drop no packet
# in the kernel, and answer a scrape again once the hostile clients are gone.
# usage: metrics_hostile_http.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
zkdump_pid= hostile_pid=
cleanup() {
  if [ -n "$hostile_pid" ]; then kill "$hostile_pid" 2>/dev/null || true; fi
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(free_port) metrics_port=$(free_port)
start_zk "$work/zk" "$port"
"$zkdump" -i lo --port "$port" --stats --metrics-listen "127.0.0.1:$metrics_port" > /dev/null 2> "$work/zkdump.err" &
zkdump_pid=$!
wait_for_http "http://127.0.0.1:$metrics_port/" || fail "no metrics endpoint: $(cat "$work/zkdump.err")"

"$ZK_PYTHON" - "$metrics_port" > "$work/hostile.log" 2>&1 <<'PY' &
import socket, sys, threading, time
port = int(sys.argv[1])
held, scrapes = [], [0, 0]

def connect():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s

def hammer():
    while True:
        try:
            s = connect()
            s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            while s.recv(65536):
                pass
            s.close()
            scrapes[0] += 1
        except OSError:
            scrapes[1] += 1
            time.sleep(0.01)

for _ in range(200):
    try:
        held.append(connect())  # idle
    except OSError:
        pass
slow = []
for _ in range(20):
    try:
        s = connect()
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        slow.append(s)
    except OSError:
        pass
for _ in range(20):
    try:
        s = connect()
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")  # and never read
        held.append(s)
    except OSError:
        pass
for _ in range(4):
    threading.Thread(target=hammer, daemon=True).start()
print("hostile: %d idle or unread connections, %d slow" % (len(held), len(slow)), flush=True)
while True:
    for s in slow:
        try:
            s.send(b"X")
        except OSError:
            pass
    time.sleep(0.5)
    print("scrapes answered %d, refused or failed %d" % tuple(scrapes), flush=True)
PY
hostile_pid=$!
sleep 2
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" 3 5000 > "$work/load.json" 2> "$work/load.log"
sleep 1
kill "$hostile_pid"; wait "$hostile_pid" 2>/dev/null || true
hostile_pid=
tail -1 "$work/hostile.log"
# Idle connections close after 10 s at most: then a scrape is answered again.
for _ in $(seq 1 150); do
  curl -sf -m 2 "http://127.0.0.1:$metrics_port/metrics" > "$work/scrape.txt" && break
  sleep 0.1
done
[ -s "$work/scrape.txt" ] || fail "no scrape answered once the hostile clients left"
kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
[ "$status" -eq 0 ] || fail "zkdump exited $status: $(cat "$work/zkdump.err")"
grep -q " 0 dropped by kernel" "$work/zkdump.err" || fail "kernel drops: $(cat "$work/zkdump.err")"
"$ZK_PYTHON" - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
sent = json.load(open(work + "/load.json"))["sent"]
counted = {}
for line in open(work + "/scrape.txt"):
    match = re.match(r'zkdump_requests_total\{op="([^"]+)"\} (\d+)', line)
    if match:
        counted[match.group(1)] = int(match.group(2))
counted.pop("ping", None)
if counted != sent:
    sys.exit("FAIL: zkdump counted %s, the clients sent %s" % (counted, sent))
print("hostile HTTP clients: every one of %d requests counted, 0 kernel drops" % sum(sent.values()))
PY
