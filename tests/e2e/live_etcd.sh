#!/usr/bin/env bash
# End to end for etcd: a real etcd on 127.0.0.1, zkdump capturing live on lo next to tcpdump,
# real etcdctl clients (puts, gets, a delete, a Txn, a lease, a watch that sees the writes, an
# error) and curl on the JSON gateway, then SIGINT. Asserts that zkdump shows every call the
# clients made with its status, every watch event, and the same lines as `zkdump -r` on
# tcpdump's capture of the same traffic; exit 0, no kernel drops.
# usage: live_etcd.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
zkdump_pid= etcd_pid= watch_pid=
cleanup() {
  for pid in $zkdump_pid $watch_pid $etcd_pid ${CAPTURE_PID:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(free_port) peer=$(free_port)
etcd --name live --data-dir "$work/data" --listen-client-urls "http://127.0.0.1:$port" \
  --advertise-client-urls "http://127.0.0.1:$port" --listen-peer-urls "http://127.0.0.1:$peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer" --initial-cluster "live=http://127.0.0.1:$peer" \
  > "$work/etcd.log" 2>&1 &
etcd_pid=$!
export ETCDCTL_API=3
etcdctl=(etcdctl --endpoints="127.0.0.1:$port")
for _ in $(seq 1 100); do "${etcdctl[@]}" endpoint health > /dev/null 2>&1 && break; sleep 0.1; done

"$zkdump" -i lo --etcd-port "$port" --json -l > "$work/live.json" 2> "$work/live.err" &
zkdump_pid=$!
start_capture "$work/tcpdump.pcap" "$port"

"${etcdctl[@]}" watch --prefix /live/ > "$work/watch.out" 2>&1 &
watch_pid=$!
sleep 0.5
puts=20
for i in $(seq 1 $puts); do "${etcdctl[@]}" put "/live/k$i" "v$i" > /dev/null; done
"${etcdctl[@]}" get --prefix /live/ > /dev/null
"${etcdctl[@]}" del /live/k1 > /dev/null
"${etcdctl[@]}" txn <<< $'value("/live/k2") = "v2"\n\nput /live/k2 v2b\n\n\n' > /dev/null
lease=$("${etcdctl[@]}" lease grant 30 | awk '{print $2}')
"${etcdctl[@]}" lease revoke "$lease" > /dev/null
"${etcdctl[@]}" lease revoke 1234 > /dev/null 2>&1 || true
curl -s -X POST "http://127.0.0.1:$port/v3/kv/range" -d '{"key": "L2xpdmUvazI="}' > /dev/null
sleep 1
kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true
watch_pid=
sleep 0.5
kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
stop_capture "$work/tcpdump.pcap"

[ "$status" -eq 0 ] || fail "zkdump exited $status after SIGINT: $(cat "$work/live.err")"
grep -q " 0 dropped by kernel" "$work/live.err" || fail "kernel drops: $(cat "$work/live.err")"

"$ZK_PYTHON" - "$work/live.json" "$puts" <<'PY'
import collections, json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
puts = int(sys.argv[2])
requests = collections.Counter(l["op"] for l in lines if l["kind"] == "request")
statuses = collections.Counter((l["op"], l["grpc_status_name"]) for l in lines if l["kind"] == "status")
events = collections.Counter(l["event"] for l in lines if l["kind"] == "event")
want = {"Put": puts, "Range": 1, "DeleteRange": 1, "Txn": 1, "LeaseGrant": 1, "LeaseRevoke": 2, "Watch": 1,
        "http1": 1}
for op, count in want.items():
    if requests[op] < count:
        sys.exit("FAIL: %d %s requests, the clients made %d: %s" % (requests[op], op, count, dict(requests)))
for op in ("Put", "Range", "DeleteRange", "Txn", "LeaseGrant"):
    if statuses[(op, "OK")] != requests[op]:
        sys.exit("FAIL: %s: %d requests, statuses %s" % (op, requests[op], dict(statuses)))
if statuses[("LeaseRevoke", "NOT_FOUND")] != 1:
    sys.exit("FAIL: no NOT_FOUND for the unknown lease: %s" % dict(statuses))
if events["PUT"] != puts + 1 or events["DELETE"] != 1:
    sys.exit("FAIL: watch events %s, want %d PUT and 1 DELETE" % (dict(events), puts + 1))
if any(l["kind"] == "error" for l in lines):
    sys.exit("FAIL: error lines: %s" % [l for l in lines if l["kind"] == "error"][:3])
print("live etcd: %d requests, every call's status, %d watch events" % (sum(requests.values()), sum(events.values())))
PY

# The same lines as zkdump -r on tcpdump's capture, per connection and direction, without times.
"$zkdump" -q --json --etcd-port "$port" -r "$work/tcpdump.pcap" | per_connection > "$work/offline.json"
per_connection < "$work/live.json" > "$work/live.stripped"
diff -u "$work/offline.json" "$work/live.stripped" > "$work/diff" || fail "live differs from tcpdump's capture: $(head -20 "$work/diff")"
echo "live etcd capture: identical to tcpdump's capture, exit 0"
