#!/usr/bin/env bash
# Captures a real 3-server ensemble (Debian's zookeeper package) on 127.0.0.1 through a leader
# failover: it waits for a leader, drives writes through kazoo, kills the leader, waits for the
# re-election, restarts the old leader so that it syncs back, writes more, and moves a session
# from one follower to the other (REVALIDATE). Server 3 forces
# snapshot syncs while it leads (zookeeper.forceSnapshotSync), so the first syncs are SNAPs and
# the later ones DIFFs. Needs root (tcpdump on lo).
# Writes pcaps/quorum_failover.pcap and pcaps/quorum_failover.leaders (each server's `srvr`
# mode, as the servers reported it, before and after the failover).
# Ports: client 2191-2193, quorum 2891-2893, election 3891-3893 (server N uses the Nth).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib/quorum_env.sh"
work=$(mktemp -d)
QUORUM_WORK=$work
pcap=$work/quorum_failover.pcap
trap 'stop_servers; rm -rf "$work"' EXIT

record_modes() {  # record_modes LABEL SID...
  for sid in "${@:2}"; do echo "$1 server.$sid $(mode_of "$sid")"; done >> "$work/leaders"
}

writes() {  # writes TAG: every kind of write the ensemble proposes, through a real client
  "$ZK_PYTHON" - "$1" <<'PY'
import sys
from kazoo.client import KazooClient
tag = sys.argv[1]
zk = KazooClient(hosts="127.0.0.1:2191,127.0.0.1:2192,127.0.0.1:2193", timeout=10)
zk.start()
base = "/q-" + tag
zk.create(base, b"start")
for i in range(5):
    zk.set(base, b"value %d" % i)
zk.create(base + "/eph", b"e", ephemeral=True)
zk.create(base + "/seq-", b"s", sequence=True)
from kazoo.security import make_digest_acl
zk.set_acls(base, [make_digest_acl("alice", "secret", all=True)] + list(zk.get_acls(base)[0]))
tx = zk.transaction()
tx.check(base, 5)
tx.create(base + "/m1", b"m")
tx.set_data(base, b"multi")
tx.delete(base + "/m1")
tx.commit()
tx = zk.transaction()  # a failing multi: proposed as an error txn
tx.create(base + "/m2", b"m")
tx.check(base, 999)
tx.commit()
try:
    zk.delete(base + "/none")
except Exception:
    pass
zk.sync(base)
zk.delete(base + "/eph")
zk.stop()
PY
  # Container and TTL nodes, which kazoo cannot create.
  printf 'create -c /q-%s/container c\ncreate -t 60000 /q-%s/ttl t\nquit\n' "$1" "$1" |
    timeout 60 /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:2191,127.0.0.1:2192,127.0.0.1:2193 \
      > "$work/zkcli-$1.log" 2>&1
}

move_session() {  # move_session FROM_SID TO_SID: a session reconnects to another follower
  # The first client dies without closing its session; the second resumes it on another server,
  # which asks the leader to REVALIDATE it.
  local session
  session=$("$ZK_PYTHON" - "$((2190 + $1))" <<'PY'
import os, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts="127.0.0.1:" + sys.argv[1], timeout=10)
zk.start()
zk.create("/q-moved", b"m", ephemeral=True)
session_id, password = zk.client_id
print("%x %s" % (session_id, password.hex()), flush=True)
os._exit(0)
PY
)
  "$ZK_PYTHON" - "$((2190 + $2))" $session <<'PY'
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts="127.0.0.1:" + sys.argv[1], timeout=10,
                 client_id=(int(sys.argv[2], 16), bytes.fromhex(sys.argv[3])))
zk.start()
assert zk.exists("/q-moved")
zk.stop()
PY
}

start_capture "$pcap" 0 "$QUORUM_CAPTURE_FILTER"
# Server 3 forces snapshot syncs while it leads, so that the first syncs are SNAPs.
start_server 1
start_server 2
start_server 3 -Dzookeeper.forceSnapshotSync=true
first=$(wait_for_leader 1 2 3)
record_modes before 1 2 3
writes a
stop_zk "$QUORUM_WORK/s$first"
rest=()
for sid in 1 2 3; do [ "$sid" = "$first" ] || rest+=("$sid"); done
second=$(wait_for_leader "${rest[@]}")
record_modes after-failover "${rest[@]}"
writes b
if [ "$first" = 3 ]; then start_server 3 -Dzookeeper.forceSnapshotSync=true; else start_server "$first"; fi
wait_for_leader 1 2 3 > /dev/null
record_modes after-restart 1 2 3
writes c
followers=()
for sid in 1 2 3; do [ "$sid" = "$second" ] || followers+=("$sid"); done
move_session "${followers[0]}" "${followers[1]}"
sleep 3  # pings between leader and followers
stop_capture "$pcap"
stop_servers
mv "$pcap" "$repo/pcaps/quorum_failover.pcap"
mv "$work/leaders" "$repo/pcaps/quorum_failover.leaders"
echo "captured quorum_failover: $(stat -c %s "$repo/pcaps/quorum_failover.pcap") bytes; leader $first, then $second"
cat "$repo/pcaps/quorum_failover.leaders"
