#!/usr/bin/env bash
# Captures a real 3-server ensemble (Debian's zookeeper package) on 127.0.0.1 under the
# workload scripts/traffic/quorum_workload.py drives: writes from clients on the leader and on
# both followers, reads behind a sync on a follower, a follower frozen for half a second under
# pipelined writes, a watch storm, an expiring session and a large znode. Needs root (tcpdump on
# lo).
# Writes pcaps/quorum_workload.pcap and pcaps/quorum_workload.sent.json (what the workload did).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib/quorum_env.sh"
work=$(mktemp -d)
QUORUM_WORK=$work
pcap=$work/quorum_workload.pcap
trap 'stop_servers; rm -rf "$work"' EXIT

start_capture "$pcap" 0 "$QUORUM_CAPTURE_FILTER"
for sid in 1 2 3; do start_server "$sid"; done
leader=$(wait_for_leader 1 2 3)
followers=()
for sid in 1 2 3; do [ "$sid" = "$leader" ] || followers+=("$sid"); done
"$ZK_PYTHON" "$repo/scripts/traffic/quorum_workload.py" "$leader" "${followers[@]}" \
  "$(cat "$work/s${followers[0]}/server.pid")" > "$work/workload.json" 2> "$work/workload.log" ||
  { cat "$work/workload.log" >&2; exit 1; }
sleep 2  # pings between leader and followers
stop_capture "$pcap"
stop_servers
mv "$pcap" "$repo/pcaps/quorum_workload.pcap"
mv "$work/workload.json" "$repo/pcaps/quorum_workload.sent.json"
# The storm has 50 watchers: past a threshold of 40, it is one.
echo "$(cat "$repo/pcaps/quorum_failover.args") --watch-storm 40" > "$repo/pcaps/quorum_workload.args"
echo "captured quorum_workload: $(stat -c %s "$repo/pcaps/quorum_workload.pcap") bytes"
cat "$repo/pcaps/quorum_workload.sent.json"
