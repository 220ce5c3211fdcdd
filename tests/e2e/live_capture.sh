#!/usr/bin/env bash
# End to end: a real ZooKeeper server on 127.0.0.1, zkdump capturing live on lo next to tcpdump,
# real kazoo clients (every operation, watches fired by a second session, multi, auth, failures,
# then a burst of pipelined async requests), and SIGINT. Asserts that zkdump names every message
# the clients sent and got, equals `zkdump -r` on tcpdump's capture of the same traffic, exits 0
# and prints its summary; also -w, -Z and the message for a user without capture privilege.
# Every process it starts is stopped by PID, on success and on failure.
# usage: live_capture.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
chmod 755 "$work"
zkdump_pid=
cleanup() {
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  if [ -n "${CAPTURE_PID:-}" ]; then kill "$CAPTURE_PID" 2>/dev/null || true; fi
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(free_port)
start_zk "$work/zk" "$port"
"$zkdump" -i lo --port "$port" --json -l -w "$work/zkdump.pcap" > "$work/live.json" 2> "$work/live.err" &
zkdump_pid=$!
start_capture "$work/tcpdump.pcap" "$port"

"$ZK_PYTHON" "$repo/scripts/traffic/kazoo_all_ops.py" "127.0.0.1:$port" > "$work/all_ops.json" 2> "$work/all_ops.log"
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" 3 2000 > "$work/load.json" 2> "$work/load.log"
sleep 1
# Immediate mode and -l: the lines are out while zkdump still runs.
grep -q '"op":"closeSession"' "$work/live.json" || fail "no lines before SIGINT: output is not line-buffered"
kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
stop_capture "$work/tcpdump.pcap"

[ "$status" -eq 0 ] || fail "zkdump exited $status after SIGINT: $(cat "$work/live.err")"
grep -q "packets received by filter" "$work/live.err" || fail "no summary on stderr"
grep -q " 0 dropped by kernel" "$work/live.err" || fail "kernel drops: $(cat "$work/live.err")"

# Every message the clients recorded, requested and answered, nothing unpaired.
"$ZK_PYTHON" - "$work" <<'PY'
import collections, json, sys
work = sys.argv[1]
sent = collections.Counter(json.load(open(work + "/all_ops.json")))
sent.update(json.load(open(work + "/load.json"))["sent"])
requests, replies, kinds = collections.Counter(), collections.Counter(), collections.Counter()
for line in open(work + "/live.json"):
    message = json.loads(line)
    kinds[message["kind"]] += 1
    if message["kind"] == "request":
        requests[message["op"]] += 1
    elif message["kind"] == "reply":
        replies[message["op"]] += 1
if requests != sent:
    sys.exit("FAIL: live requests %s != sent by the clients %s" % (dict(requests), dict(sent)))
# The reconfig session's connection thread dies on its reply (see kazoo_all_ops.py), so it never closes.
expected_replies = sent - collections.Counter({"closeSession": 0})
if replies != expected_replies:
    sys.exit("FAIL: replies %s != requests %s" % (dict(replies), dict(expected_replies)))
if "unknown" in replies:  # a reply to an xid no request was seen for
    sys.exit("FAIL: %d replies to unknown requests" % replies["unknown"])
for kind in ("unanswered", "error"):
    if kinds[kind]:
        sys.exit("FAIL: %d %s lines" % (kinds[kind], kind))
print("live: %d requests, all answered; %d events" % (sum(requests.values()), kinds["event"]))
PY

# The same messages as zkdump -r on tcpdump's capture (per_connection says how they compare),
# and exactly -r on zkdump's own -w file.
"$zkdump" -q --json --port "$port" -r "$work/tcpdump.pcap" | per_connection > "$work/offline.json"
per_connection < "$work/live.json" > "$work/live.stripped"
diff -u "$work/offline.json" "$work/live.stripped" > "$work/diff" || fail "live differs from tcpdump's capture: $(head -20 "$work/diff")"
"$zkdump" -q --json --port "$port" -r "$work/zkdump.pcap" | cmp -s - "$work/live.json" || fail "-w file decodes differently"

# -i any (Linux cooked headers): the first two lines of a four-letter word exchange, then -c stops.
timeout 30 "$zkdump" -i any --port "$port" -c 2 -q > "$work/any.txt" &
any_pid=$!
sleep 1
"$ZK_PYTHON" "$repo/scripts/traffic/four_letter_words.py" "127.0.0.1:$port"
wait "$any_pid" || fail "zkdump -i any -c 2 exited $?"
grep -q 'FourLetterWord(cmd=ruok' "$work/any.txt" || fail "-i any: $(cat "$work/any.txt")"
[ "$(wc -l < "$work/any.txt")" -eq 2 ] || fail "-i any -c 2 printed $(wc -l < "$work/any.txt") lines"

# -Z: after opening the capture, zkdump runs as the named user.
"$zkdump" -i lo --port "$port" -Z nobody -q > /dev/null 2>&1 &
zkdump_pid=$!
sleep 1
uid=$(awk '/^Uid:/ {print $2}' "/proc/$zkdump_pid/status")
kill -INT "$zkdump_pid"; wait "$zkdump_pid" || true
zkdump_pid=
[ "$uid" = "$(id -u nobody)" ] || fail "-Z nobody: zkdump runs as uid $uid"

# Without capture privilege: a clear message naming CAP_NET_RAW and exit status 1.
cp "$zkdump" "$work/zkdump-unprivileged"
status=0
runuser -u nobody -- "$work/zkdump-unprivileged" -i lo > /dev/null 2> "$work/denied.err" || status=$?
[ "$status" -eq 1 ] || fail "unprivileged live capture exited $status"
grep -q "CAP_NET_RAW" "$work/denied.err" || fail "no CAP_NET_RAW hint: $(cat "$work/denied.err")"
echo "live capture: identical to tcpdump's capture, summary printed, exit 0; -i any, -w, -Z and privilege checks pass"
