#!/usr/bin/env bash
# Captures one real ZooKeeper session three times at once: both directions in one tcpdump
# (pcaps/split_directions.pcap), and each direction in a tcpdump of its own
# (pcaps/split_directions/to_server.pcap, to_client.pcap), as two taps or a SPAN port deliver
# them. tests/golden/check_split.sh merges the halves and expects the single capture's output.
# Needs root (tcpdump on lo).
# Usage: scripts/make_split_capture.sh [BUILD_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
source "$repo/scripts/lib/zk_env.sh"
port=2181
work=$(mktemp -d)
trap 'stop_zk "$work/zk"; rm -rf "$work"' EXIT
host=127.0.0.1:$port
out=$repo/pcaps/split_directions
mkdir -p "$out"

start_zk "$work/zk" "$port"
start_capture "$work/both.pcap" "$port"
both=$CAPTURE_PID
start_capture "$work/to_server.pcap" "$port" "tcp dst port $port"
to_server=$CAPTURE_PID
start_capture "$work/to_client.pcap" "$port" "tcp src port $port"
to_client=$CAPTURE_PID

# An interactive session (zkCli.sh), the C client's split writes, and pipelined load whose two
# directions overlap in time.
printf '%s\n' 'create /split data' 'create -e /split/eph x' 'get -s /split' 'ls -R /' 'set /split y' \
  'delete /split/eph' 'deleteall /split' 'quit' |
  timeout 90 /usr/share/zookeeper/bin/zkCli.sh -server "$host" > "$work/zkcli.log" 2>&1
printf 'create /cmt hello\nget /cmt\nls /\ndelete /cmt\nquit\n' |
  while read -r line; do echo "$line"; sleep 0.3; done |
  timeout 30 /usr/lib/zookeeper/bin/cli_mt -h "$host" > "$work/cli_mt.log" 2>&1 || true
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "$host" 2 1000 > /dev/null 2> "$work/load.log"

for name in both to_server to_client; do
  CAPTURE_PID=${!name}
  stop_capture "$work/$name.pcap"
done
stop_zk "$work/zk"
mv "$work/both.pcap" "$repo/pcaps/split_directions.pcap"
mv "$work/to_server.pcap" "$work/to_client.pcap" "$out/"
TZ=UTC "$build/zkdump" -q -r "$repo/pcaps/split_directions.pcap" > "$repo/pcaps/split_directions.expected"
TZ=UTC "$build/zkdump" -q --json -r "$repo/pcaps/split_directions.pcap" > "$repo/pcaps/split_directions.json.expected"
echo "captured split_directions: $(stat -c %s "$repo/pcaps/split_directions.pcap") bytes"
