#!/usr/bin/env bash
# Captures real etcd v3 traffic (Debian's etcd-server and etcdctl) on 127.0.0.1:2379, then the
# goldens. Needs root (tcpdump on lo). Usage: scripts/make_etcd_captures.sh [BUILD_DIR] [NAME...]
#   etcd_kv         every KV call (put, get, prefix range, delete, a Txn that succeeds and one that
#                   fails, compaction), leases (grant, keep-alive, time-to-live, revoke, one not
#                   found, a compacted revision, lease list), a watch seeing puts and deletes, a
#                   watch created, asked for progress and canceled (through the gateway), member
#                   list and endpoint status, the JSON gateway (curl) and a TLS client (openssl).
#   etcd_admin      Cluster (member add/update/promote/remove), Maintenance (alarm, defragment,
#                   hashkv, snapshot, move-leader), Auth (users, roles, permissions, auth on, a
#                   permission denied, password change, auth off), a lock and an election.
#   etcd_midstream  a capture begun while a watch, a lease keep-alive, the gateway's own gRPC
#                   connection and `etcdctl check perf` were already running: their headers and
#                   HPACK tables were never seen.
#   etcd_lease_expiry  a key put with a 2 s lease nobody keeps alive, watched: the server
#                   deletes it when the lease expires; then a lease revoked, for contrast.
#   etcd_load       the benchmark capture, bench/data/etcd_load.pcap (not bundled, about 70 MB):
#                   `etcdctl check perf --load=m`, 200 clients putting for 60 s.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(etcd_kv etcd_admin etcd_midstream etcd_lease_expiry)
port=2379  # etcd's default, as the bundled .args say
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export ETCDCTL_API=3
etcdctl=(etcdctl --endpoints="127.0.0.1:$port")

start_capture() {  # NAME
  # Immediate mode: the last packets are not left in a ring block that the kill discards.
  tcpdump -i lo --immediate-mode -w "$work/$1.pcap" -U "tcp port $port" 2> "$work/tcpdump.log" &
  tcpdump_pid=$!
  pids+=("$tcpdump_pid")
  sleep 1
}
stop_capture() {  # NAME [DIR]: into DIR, pcaps/ by default
  local dir=${2:-$repo/pcaps}
  sleep 0.5
  kill "$tcpdump_pid"
  wait "$tcpdump_pid" 2>/dev/null || true
  mv "$work/$1.pcap" "$dir/$1.pcap"
  echo "--etcd-port $port" > "$dir/$1.args"
  echo "captured $1: $(stat -c %s "$dir/$1.pcap") bytes"
}
start_etcd() {
  rm -rf "$work/data"
  etcd --name zkdump --data-dir "$work/data" --listen-client-urls "http://127.0.0.1:$port" \
    --advertise-client-urls "http://127.0.0.1:$port" --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster zkdump=http://127.0.0.1:2380 > "$work/etcd.log" 2>&1 &
  etcd_pid=$!
  pids+=("$etcd_pid")
  for _ in $(seq 1 100); do "${etcdctl[@]}" endpoint health > /dev/null 2>&1 && return; sleep 0.1; done
  echo "etcd did not start" >&2
  exit 1
}
stop_etcd() {
  kill "$etcd_pid"
  wait "$etcd_pid" 2>/dev/null || true
}
background() {  # COMMAND...: runs it, remembering its pid in last_pid
  "$@" &
  last_pid=$!
  pids+=("$last_pid")
}

capture_etcd_kv() {
  # The capture starts first: every connection is seen from its SYN, the gateway's own too.
  start_capture etcd_kv
  start_etcd
  background "${etcdctl[@]}" watch --prefix /app/ > "$work/watch.out" 2>&1
  local watch_pid=$last_pid
  sleep 0.5
  "${etcdctl[@]}" put /app/a alpha
  "${etcdctl[@]}" put /app/b beta --prev-kv
  "${etcdctl[@]}" get /app/a
  "${etcdctl[@]}" get --prefix /app/
  "${etcdctl[@]}" get /app/missing
  "${etcdctl[@]}" txn <<< $'value("/app/a") = "alpha"\n\nput /app/a alpha2\n\nput /app/fail x\n\n'
  "${etcdctl[@]}" txn <<< $'value("/app/a") = "nope"\n\nput /app/a never\n\nget /app/a\n\n'
  "${etcdctl[@]}" del /app/b
  local lease
  lease=$("${etcdctl[@]}" lease grant 60 | awk '{print $2}')
  "${etcdctl[@]}" put --lease="$lease" /app/leased v
  "${etcdctl[@]}" lease keep-alive --once "$lease"
  "${etcdctl[@]}" lease timetolive --keys "$lease"
  "${etcdctl[@]}" lease list
  "${etcdctl[@]}" lease revoke "$lease"
  "${etcdctl[@]}" lease revoke 1234 || true  # etcdserver: requested lease not found
  local revision
  revision=$("${etcdctl[@]}" get /app/a -w json | sed -n 's/.*"revision":\([0-9]*\).*/\1/p')
  "${etcdctl[@]}" compaction "$revision"
  "${etcdctl[@]}" get /app/a --rev=1 || true  # etcdserver: mvcc: required revision has been compacted
  "${etcdctl[@]}" member list
  "${etcdctl[@]}" endpoint status
  # The JSON gateway over HTTP/1.1 (base64 keys), and a TLS client on the cleartext port.
  curl -s -X POST "http://127.0.0.1:$port/v3/kv/range" -d '{"key": "L2FwcC9h"}' > "$work/curl.out"
  # A watch created, asked for progress and canceled on one stream, through the gateway.
  curl -s -m 1 -X POST "http://127.0.0.1:$port/v3/watch" \
    -d '{"create_request": {"key": "L2FwcC9h"}}{"progress_request": {}}{"cancel_request": {"watch_id": 0}}' \
    > "$work/watch-gateway.out" || true
  timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername etcd.example.test \
    -alpn h2 < /dev/null > "$work/tls.log" 2>&1 || true
  sleep 0.5
  kill "$watch_pid"
  stop_capture etcd_kv
  stop_etcd
  grep -q alpha2 "$work/watch.out" || { echo "the watch saw nothing" >&2; exit 1; }
  grep -q '"kvs"' "$work/curl.out" || { echo "the JSON gateway answered nothing" >&2; exit 1; }
  grep -q '"canceled":true' "$work/watch-gateway.out" || { echo "the watch was not canceled" >&2; exit 1; }
}

capture_etcd_admin() {
  start_etcd
  start_capture etcd_admin
  # Cluster: a learner that never starts can be updated and removed, not promoted.
  local member
  member=$("${etcdctl[@]}" member add learner --learner --peer-urls=http://127.0.0.1:2390 |
    sed -n 's/^Member \([0-9a-f]*\) added.*/\1/p')
  "${etcdctl[@]}" member update "$member" --peer-urls=http://127.0.0.1:2391
  "${etcdctl[@]}" member promote "$member" || true  # the learner is not in sync
  "${etcdctl[@]}" member remove "$member"
  # Maintenance.
  "${etcdctl[@]}" alarm list
  "${etcdctl[@]}" alarm disarm
  "${etcdctl[@]}" defrag
  "${etcdctl[@]}" endpoint hashkv
  "${etcdctl[@]}" put /snap/key value
  "${etcdctl[@]}" snapshot save "$work/snapshot.db" > /dev/null
  "${etcdctl[@]}" move-leader 1234 || true  # no such member
  # Auth: users, roles and a permission; alice may read /app/ but not write it.
  "${etcdctl[@]}" user add root:rootpw
  "${etcdctl[@]}" role add reader
  "${etcdctl[@]}" role grant-permission reader read /app/ --prefix
  "${etcdctl[@]}" user add alice:alicepw
  "${etcdctl[@]}" user grant-role alice reader
  "${etcdctl[@]}" user get alice
  "${etcdctl[@]}" user list
  "${etcdctl[@]}" role get reader
  "${etcdctl[@]}" role list
  "${etcdctl[@]}" auth enable
  "${etcdctl[@]}" --user alice:alicepw get /app/x
  "${etcdctl[@]}" --user alice:alicepw put /app/x denied || true  # permission denied
  echo newpw | "${etcdctl[@]}" --user root:rootpw user passwd alice --interactive=false
  "${etcdctl[@]}" --user root:rootpw user revoke-role alice reader
  "${etcdctl[@]}" --user root:rootpw role revoke-permission reader /app/ --prefix
  "${etcdctl[@]}" --user root:rootpw role delete reader
  "${etcdctl[@]}" --user root:rootpw user delete alice
  "${etcdctl[@]}" --user root:rootpw auth disable
  # etcdctl's lock and election are client-side (Txn and Watch): a lock held around a command,
  # a campaign, its observer, a resign.
  "${etcdctl[@]}" lock app-lock -- echo locked
  background "${etcdctl[@]}" elect app-election candidate-a
  local campaign_pid=$last_pid
  sleep 1
  timeout -s INT 1 "${etcdctl[@]}" elect --listen app-election || true
  kill -INT "$campaign_pid"
  wait "$campaign_pid" 2>/dev/null || true
  # The server-side v3lock and v3election services, reached through the JSON gateway, which
  # calls them over its own gRPC connection (base64 names and values).
  local gateway=http://127.0.0.1:$port/v3 lease_id lock_key leader
  lease_id=$(curl -s -X POST "$gateway/lease/grant" -d '{"TTL": 30}' | jq -r .ID)
  lock_key=$(curl -s -X POST "$gateway/lock/lock" -d "{\"name\": \"c3J2LWxvY2s=\", \"lease\": $lease_id}" |
    jq -r .key)
  curl -s -X POST "$gateway/lock/unlock" -d "{\"key\": \"$lock_key\"}" > /dev/null
  leader=$(curl -s -X POST "$gateway/election/campaign" \
    -d "{\"name\": \"c3J2LWVsZWN0aW9u\", \"lease\": $lease_id, \"value\": \"YQ==\"}" | jq -c .leader)
  curl -s -X POST "$gateway/election/proclaim" -d "{\"leader\": $leader, \"value\": \"Yg==\"}" > /dev/null
  curl -s -X POST "$gateway/election/leader" -d '{"name": "c3J2LWVsZWN0aW9u"}' > "$work/leader.out"
  curl -s -N --max-time 1 -X POST "$gateway/election/observe" -d '{"name": "c3J2LWVsZWN0aW9u"}' \
    > /dev/null || true
  curl -s -X POST "$gateway/election/resign" -d "{\"leader\": $leader}" > "$work/resign.out"
  stop_capture etcd_admin
  stop_etcd
  grep -q '"kv"' "$work/leader.out" || { echo "the election had no leader" >&2; exit 1; }
  grep -q '"header"' "$work/resign.out" || { echo "the leader did not resign" >&2; exit 1; }
}

capture_etcd_midstream() {
  start_etcd
  local lease
  lease=$("${etcdctl[@]}" lease grant 3 | awk '{print $2}')
  background "${etcdctl[@]}" watch --prefix /mid/ > "$work/midwatch.out" 2>&1
  background "${etcdctl[@]}" lease keep-alive "$lease" > /dev/null 2>&1
  background "${etcdctl[@]}" check perf --load=s > /dev/null 2>&1
  local perf_pid=$last_pid
  curl -s -X POST "http://127.0.0.1:$port/v3/kv/put" -d '{"key": "L21pZC9h", "value": "MQ=="}' > /dev/null
  sleep 3
  start_capture etcd_midstream
  "${etcdctl[@]}" put /mid/a 1
  curl -s -X POST "http://127.0.0.1:$port/v3/kv/put" -d '{"key": "L21pZC9i", "value": "Mg=="}' > /dev/null
  "${etcdctl[@]}" del /mid/a
  sleep 1.5  # a keep-alive every second
  stop_capture etcd_midstream
  kill "$perf_pid"
  stop_etcd
  grep -q /mid/b "$work/midwatch.out" || { echo "the watch saw nothing" >&2; exit 1; }
}

capture_etcd_lease_expiry() {
  start_capture etcd_lease_expiry
  start_etcd
  background "${etcdctl[@]}" watch --prefix /lease/ > "$work/lease-watch.out" 2>&1
  local watch_pid=$last_pid expiring revoked
  sleep 0.5
  expiring=$("${etcdctl[@]}" lease grant 2 | awk '{print $2}')
  "${etcdctl[@]}" put --lease="$expiring" /lease/expiring v
  revoked=$("${etcdctl[@]}" lease grant 60 | awk '{print $2}')
  "${etcdctl[@]}" put --lease="$revoked" /lease/revoked v
  for _ in $(seq 1 100); do
    [ "$(grep -c '^DELETE' "$work/lease-watch.out")" -ge 1 ] && break
    sleep 0.1
  done
  "${etcdctl[@]}" lease revoke "$revoked"
  sleep 0.5
  kill "$watch_pid"
  stop_capture etcd_lease_expiry
  stop_etcd
  [ "$(grep -c '^DELETE' "$work/lease-watch.out")" -eq 2 ] ||
    { echo "the watch did not see both deletes: $(cat "$work/lease-watch.out")" >&2; exit 1; }
}

capture_etcd_load() {
  mkdir -p "$repo/bench/data"
  start_etcd
  start_capture etcd_load
  # check perf exits non-zero when the machine misses its latency goals: the load ran all the same.
  "${etcdctl[@]}" check perf --load=m > "$work/perf.out" 2>&1 || true
  stop_capture etcd_load "$repo/bench/data"
  stop_etcd
  tail -3 "$work/perf.out"
}

bundled=false  # the goldens follow the captures in pcaps/, not the benchmark's
for name in "${names[@]}"; do
  "capture_$name"
  [ "$name" = etcd_load ] || bundled=true
done
if $bundled; then "$repo/scripts/update_goldens.sh" "$build"; fi
