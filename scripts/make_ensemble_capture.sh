#!/usr/bin/env bash
# Captures what an operator debugs on a real 3-server ensemble (Debian's zookeeper package, with
# reconfigEnabled) on 127.0.0.1: kazoo clients on every server write all along
# (scripts/traffic/ensemble_load.py) while the leader is killed with SIGKILL, a new one is
# elected, the old one restarts and rejoins, a fourth server is added by reconfig and removed
# again. Needs root (tcpdump on lo).
# Writes pcaps/ensemble_failover.pcap, its .args, and pcaps/ensemble_failover.events: what the
# script did and when (epoch seconds), with the leader each step left, as the servers said.
# Ports: client 2191-2194, quorum 2891-2894, election 3891-3894 (server N uses the Nth).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib/quorum_env.sh"
work=$(mktemp -d)
QUORUM_WORK=$work
QUORUM_CONFIG_EXTRA=$'reconfigEnabled=true\nstandaloneEnabled=false'
pcap=$work/ensemble_failover.pcap
events=$work/events
trap 'touch "$work/stop"; stop_servers; rm -rf "$work"' EXIT
filter="tcp portrange 2191-2194 or tcp portrange 2891-2894 or tcp portrange 3891-3894"
skip_acl=-Dzookeeper.skipACL=yes  # reconfig asks for no other right

event() {  # event WHAT [LEADER]: one line of what happened, when
  echo "$(date +%s.%N) $*" >> "$events"
}

reconfig() {  # reconfig ADD REMOVE: through kazoo, on server 1
  "$ZK_PYTHON" - "$1" "$2" <<'PY'
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts="127.0.0.1:2191", timeout=10)
zk.start()
zk.reconfig(joining=sys.argv[1] or None, leaving=sys.argv[2] or None, new_members=None)
zk.stop()
PY
}

start_capture "$pcap" 0 "$filter"
for sid in 1 2 3; do start_server "$sid" "$skip_acl"; done
first=$(wait_for_leader 1 2 3)
event elected "$first"
"$ZK_PYTHON" "$repo/scripts/traffic/ensemble_load.py" "$work/stop" 2191 2192 2193 \
  > "$work/load.json" 2> "$work/load.log" &
load=$!
sleep 3
kill -9 "$(cat "$work/s$first/server.pid")"
wait "$(cat "$work/s$first/server.pid")" 2>/dev/null || true
rm -f "$work/s$first/server.pid"
event killed "$first"
rest=()
for sid in 1 2 3; do [ "$sid" = "$first" ] || rest+=("$sid"); done
second=$(wait_for_leader "${rest[@]}")
event elected "$second"
sleep 3
start_server "$first" "$skip_acl"
wait_for_leader 1 2 3 > /dev/null
event rejoined "$first"
sleep 3
QUORUM_MEMBERS="1 2 3 4" start_server 4 "$skip_acl"
sleep 2
reconfig "$(server_line 4)" ""
wait_for_leader 1 2 3 4 > /dev/null
event added 4
sleep 3
reconfig "" 4
event removed 4
sleep 2
touch "$work/stop"
wait "$load" || { cat "$work/load.log" >&2; exit 1; }
event load "$(cat "$work/load.json")"
sleep 2  # pings between leader and followers
stop_capture "$pcap"
stop_servers
mv "$pcap" "$repo/pcaps/ensemble_failover.pcap"
mv "$events" "$repo/pcaps/ensemble_failover.events"
echo "--omni" > "$repo/pcaps/ensemble_failover.args"
echo "captured ensemble_failover: $(stat -c %s "$repo/pcaps/ensemble_failover.pcap") bytes"
cat "$repo/pcaps/ensemble_failover.events"
