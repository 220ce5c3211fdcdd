#!/usr/bin/env bash
# Captures real etcd v3 traffic (Debian's etcd-server and etcdctl) on 127.0.0.1:2379 into
# pcaps/etcd_kv.pcap, then the goldens: every KV call (put, get, range with a prefix, delete,
# a Txn that succeeds and one that fails, compaction), leases (grant, keep-alive, time-to-live,
# revoke, one not found), a watch that sees puts and a delete, member list and endpoint status,
# the JSON gateway (curl) and a TLS client (openssl).
# Needs root (tcpdump on lo). Usage: scripts/make_etcd_captures.sh [BUILD_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
port=2379  # etcd's default, as the bundled .args say
work=$(mktemp -d)
etcd_pid= tcpdump_pid= watch_pid=
cleanup() {
  for pid in $watch_pid $tcpdump_pid $etcd_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export ETCDCTL_API=3
etcdctl=(etcdctl --endpoints="127.0.0.1:$port")

# The capture starts first: every connection is seen from its SYN, the gateway's own too.
tcpdump -i lo -w "$work/etcd_kv.pcap" -U "tcp port $port" 2> "$work/tcpdump.log" &
tcpdump_pid=$!
sleep 1
etcd --name zkdump --data-dir "$work/data" --listen-client-urls "http://127.0.0.1:$port" \
  --advertise-client-urls "http://127.0.0.1:$port" --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster zkdump=http://127.0.0.1:2380 > "$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 100); do "${etcdctl[@]}" endpoint health > /dev/null 2>&1 && break; sleep 0.1; done

"${etcdctl[@]}" watch --prefix /app/ > "$work/watch.out" 2>&1 &
watch_pid=$!
sleep 0.5
"${etcdctl[@]}" put /app/a alpha
"${etcdctl[@]}" put /app/b beta --prev-kv
"${etcdctl[@]}" get /app/a
"${etcdctl[@]}" get --prefix /app/
"${etcdctl[@]}" get /app/missing
"${etcdctl[@]}" txn <<< $'value("/app/a") = "alpha"\n\nput /app/a alpha2\n\nput /app/fail x\n\n'
"${etcdctl[@]}" txn <<< $'value("/app/a") = "nope"\n\nput /app/a never\n\nget /app/a\n\n'
"${etcdctl[@]}" del /app/b
lease=$("${etcdctl[@]}" lease grant 60 | awk '{print $2}')
"${etcdctl[@]}" put --lease="$lease" /app/leased v
"${etcdctl[@]}" lease keep-alive --once "$lease"
"${etcdctl[@]}" lease timetolive --keys "$lease"
"${etcdctl[@]}" lease revoke "$lease"
"${etcdctl[@]}" lease revoke 1234 || true  # etcdserver: requested lease not found
revision=$("${etcdctl[@]}" get /app/a -w json | sed -n 's/.*"revision":\([0-9]*\).*/\1/p')
"${etcdctl[@]}" compaction "$revision"
"${etcdctl[@]}" member list
"${etcdctl[@]}" endpoint status
# The JSON gateway over HTTP/1.1 (base64 keys), and a TLS client on the cleartext port.
curl -s -X POST "http://127.0.0.1:$port/v3/kv/range" -d '{"key": "L2FwcC9h"}' > "$work/curl.out"
timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername etcd.example.test \
  -alpn h2 < /dev/null > "$work/tls.log" 2>&1 || true
sleep 0.5
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null || true
watch_pid=
sleep 0.5
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
grep -q alpha2 "$work/watch.out" || { echo "the watch saw nothing" >&2; exit 1; }
grep -q '"kvs"' "$work/curl.out" || { echo "the JSON gateway answered nothing" >&2; exit 1; }
mv "$work/etcd_kv.pcap" "$repo/pcaps/etcd_kv.pcap"
echo "--etcd-port $port" > "$repo/pcaps/etcd_kv.args"
echo "captured etcd_kv: $(stat -c %s "$repo/pcaps/etcd_kv.pcap") bytes"
"$repo/scripts/update_goldens.sh" "$build"
