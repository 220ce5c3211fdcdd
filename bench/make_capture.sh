#!/usr/bin/env bash
# Makes the benchmark capture: a real ZooKeeper server on 127.0.0.1 driven by several async
# kazoo clients with many requests in flight and a mixed operation set, captured by tcpdump.
# Needs root. Usage: bench/make_capture.sh [CLIENTS [REQUESTS_PER_CLIENT [SCALE]]]
# Writes bench/data/load.pcap (about 150 MB and 1.7M messages at the defaults) and, with SCALE > 1,
# bench/data/load-xSCALE.pcap: SCALE copies of it with shifted client ports and times.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
clients=${1:-4} per_client=${2:-215000} scale=${3:-4}
source "$repo/scripts/lib/zk_env.sh"
mkdir -p "$repo/bench/data"
work=$(mktemp -d)
trap 'stop_zk "$work/zk"; rm -rf "$work"' EXIT
port=$(free_port)
start_zk "$work/zk" "$port"
start_capture "$work/load.pcap" "$port"
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" "$clients" "$per_client" bounded \
  > "$repo/bench/data/load.sent.json"
stop_capture "$work/load.pcap"
mv "$work/load.pcap" "$repo/bench/data/load.pcap"
echo "$port" > "$repo/bench/data/load.port"
echo "bench/data/load.pcap: $(stat -c %s "$repo/bench/data/load.pcap") bytes, $(cat "$repo/bench/data/load.sent.json")"
if [ "$scale" -gt 1 ]; then
  python3 "$repo/bench/scale_capture.py" "$repo/bench/data/load.pcap" "$scale" "$repo/bench/data/load-x$scale.pcap"
  echo "bench/data/load-x$scale.pcap: $(stat -c %s "$repo/bench/data/load-x$scale.pcap") bytes"
fi
