#!/usr/bin/env bash
# Slow, many and hostile HTTP clients on the metrics port do not stall the capture or grow its
# memory: zkdump captures a real ZooKeeper server's pipelined load live on lo, serving metrics
# through TLS with basic auth (--web-config), while clients from several loopback addresses
# hold 200 idle connections, send requests a byte at a time (slowloris), ask for /metrics and
# never read, open 10,000 connections at once, again and again, send a 1 GB header, and scrape
# as fast as they can with the right password and with wrong ones. zkdump must count every
# request the ZooKeeper clients sent, drop no packet in the kernel, close the 1 GB header after
# its cap, keep its peak RSS bounded, and answer a scrape again once the hostile clients leave.
# usage: metrics_hostile_http.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
source "$repo/scripts/lib/tls_env.sh"
work=$(mktemp -d)
chmod 755 "$work"
zkdump_pid= hostile_pid=
cleanup() {
  if [ -n "$hostile_pid" ]; then kill "$hostile_pid" 2>/dev/null || true; fi
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

tls_ca "$work/tls"
tls_signed server "IP:127.0.0.1"
password=$(openssl rand -hex 12)
cat > "$work/web.yml" <<CFG
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
basic_auth_users:
  prometheus: '$(htpasswd -nbBC 10 "" "$password" | tr -d ':\n')'
CFG
port=$(free_port) metrics_port=$(free_port)
scrape=(--cacert "$work/tls/ca.crt" -u "prometheus:$password" "https://127.0.0.1:$metrics_port/metrics")
start_zk "$work/zk" "$port"
"$zkdump" -i lo --port "$port" --stats --metrics-listen "127.0.0.1:$metrics_port" --web-config "$work/web.yml" \
  > /dev/null 2> "$work/zkdump.err" &
zkdump_pid=$!
wait_for_http "${scrape[@]}" || fail "no metrics endpoint: $(cat "$work/zkdump.err")"
rss_before=$(awk '/^VmHWM:/ {print $2}' "/proc/$zkdump_pid/status")

"$ZK_PYTHON" - "$metrics_port" "$work/tls/ca.crt" "$password" > "$work/hostile.log" 2>&1 <<'PY' &
import base64, resource, socket, ssl, sys, threading, time
port, ca, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
context = ssl.create_default_context(cafile=ca)
counts = {"scrapes": 0, "scrape_failures": 0, "wrong": 0, "storms": 0, "storm_refused": 0,
          "header_attempts": 0, "header_closed": 0, "header_max_sent": 0}
held = []

def connect(source, timeout=5):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s

def request(user_password):
    token = base64.b64encode(user_password.encode()).decode()
    return ("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            "Authorization: Basic %s\r\n\r\n" % token).encode()

def hammer(source, user_password, key):
    while True:
        try:
            with context.wrap_socket(connect(source), server_hostname="127.0.0.1") as s:
                s.sendall(request(user_password))
                while s.recv(65536):
                    pass
            counts[key] += 1
        except OSError:
            counts["scrape_failures"] += 1
            time.sleep(0.01)

def storm():  # 10,000 connections at once, held a second, again and again
    while True:
        sockets = []
        for _ in range(10000):
            s = socket.socket()
            s.setblocking(False)
            s.bind(("127.0.0.3", 0))
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            except OSError:
                counts["storm_refused"] += 1
            sockets.append(s)
        time.sleep(1)
        for s in sockets:
            s.close()
        counts["storms"] += 1

def huge_header():  # 1 GB of one header, in 1 MB pieces, until the server closes
    piece = b"a" * (1 << 20)
    while True:
        sent, started = 0, False
        try:
            with context.wrap_socket(connect("127.0.0.2", 10), server_hostname="127.0.0.1") as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ")
                started = True
                counts["header_attempts"] += 1
                while sent < 1 << 30:
                    s.sendall(piece)
                    sent += len(piece)
        except (OSError, ssl.SSLError):
            if started:
                counts["header_closed"] += 1  # by the server, before the 1 GB was sent
        counts["header_max_sent"] = max(counts["header_max_sent"], sent)
        time.sleep(0.2)

for _ in range(200):
    try:
        held.append(connect("127.0.0.1"))  # idle, never a handshake
    except OSError:
        pass
slow = []
for _ in range(10):
    try:
        s = context.wrap_socket(connect("127.0.0.4"), server_hostname="127.0.0.1")
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        slow.append(s)
    except OSError:
        pass
for _ in range(10):
    try:
        s = context.wrap_socket(connect("127.0.0.5"), server_hostname="127.0.0.1")
        s.sendall(request("prometheus:" + password))  # and never read
        held.append(s)
    except OSError:
        pass
threading.Thread(target=huge_header, daemon=True).start()
threading.Thread(target=storm, daemon=True).start()
for _ in range(2):
    threading.Thread(target=hammer, args=("127.0.0.6", "prometheus:" + password, "scrapes"), daemon=True).start()
    threading.Thread(target=hammer, args=("127.0.0.7", "prometheus:wrong", "wrong"), daemon=True).start()
print("hostile: %d idle or unread connections, %d slow" % (len(held), len(slow)), flush=True)
while True:
    for s in slow:
        try:
            s.send(b"X")
        except OSError:
            pass
    time.sleep(0.5)
    print(" ".join("%s=%d" % item for item in sorted(counts.items())), flush=True)
PY
hostile_pid=$!
sleep 3
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" 3 5000 > "$work/load.json" 2> "$work/load.log"
sleep 2
kill "$hostile_pid"; wait "$hostile_pid" 2>/dev/null || true
hostile_pid=
rss_peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$zkdump_pid/status")
tail -1 "$work/hostile.log"
echo "zkdump peak RSS: $((rss_before / 1024)) MB before the hostile clients, $((rss_peak / 1024)) MB after"
[ "$rss_peak" -le $((rss_before + 96 * 1024)) ] || fail "peak RSS grew from $rss_before to $rss_peak KiB"
"$ZK_PYTHON" - "$work/hostile.log" <<'PY'
import sys
last = dict(item.split("=") for item in open(sys.argv[1]).read().splitlines()[-1].split())
counts = {key: int(value) for key, value in last.items()}
if counts["header_attempts"] == 0 or counts["header_closed"] == 0:
    sys.exit("FAIL: the 1 GB header never got a connection, or was never closed: %s" % counts)
if counts["header_max_sent"] >= 256 << 20:
    sys.exit("FAIL: the server read %d MB of one header" % (counts["header_max_sent"] >> 20))
if counts["storms"] == 0:
    sys.exit("FAIL: no 10,000-connection storm completed")
print("1 GB header: closed after at most %d MB sent (%d tries); %d storms of 10,000 connections"
      % (counts["header_max_sent"] >> 20, counts["header_attempts"], counts["storms"]))
PY
# Idle connections close after 10 s at most: then a scrape is answered again.
for _ in $(seq 1 150); do
  curl -sf -m 2 "${scrape[@]}" > "$work/scrape.txt" && break
  sleep 0.1
done
[ -s "$work/scrape.txt" ] || fail "no scrape answered once the hostile clients left"
kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
[ "$status" -eq 0 ] || fail "zkdump exited $status: $(cat "$work/zkdump.err")"
grep -q " 0 dropped by kernel" "$work/zkdump.err" || fail "kernel drops: $(cat "$work/zkdump.err")"
lines=$(grep -c "metrics server:" "$work/zkdump.err" || true)
echo "the metrics server's complaints: $lines lines on standard error"
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
