#!/usr/bin/env bash
# Makes a benchmark capture: a real ZooKeeper server on 127.0.0.1 driven by several async kazoo
# clients with many requests in flight, captured by tcpdump. Needs root.
# Usage: bench/make_capture.sh [NAME [CLIENTS [REQUESTS_PER_CLIENT [SCALE]]]]
#   load       (the default) a mixed operation set over a small set of paths: about 170 MB and
#              1.7M messages at the defaults;
#   namespace  a new znode every third request, read twice: 240k znodes at the defaults, each
#              path touched three times, as in a large Kafka or HBase namespace.
# Writes bench/data/NAME.pcap and, with SCALE > 1, bench/data/NAME-xSCALE.pcap: SCALE copies of
# it with shifted client ports and times.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-load}
case "$name" in
  load) mix=bounded default_per_client=215000 ;;
  namespace) mix=namespace default_per_client=180000 ;;
  *) echo "unknown capture $name (load or namespace)" >&2; exit 2 ;;
esac
clients=${2:-4} per_client=${3:-$default_per_client} scale=${4:-4}
source "$repo/scripts/lib/zk_env.sh"
mkdir -p "$repo/bench/data"
work=$(mktemp -d)
trap 'stop_zk "$work/zk"; rm -rf "$work"' EXIT
port=$(free_port)
start_zk "$work/zk" "$port"
start_capture "$work/$name.pcap" "$port"
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" "$clients" "$per_client" "$mix" \
  > "$repo/bench/data/$name.sent.json"
stop_capture "$work/$name.pcap"
mv "$work/$name.pcap" "$repo/bench/data/$name.pcap"
echo "$port" > "$repo/bench/data/$name.port"
echo "bench/data/$name.pcap: $(stat -c %s "$repo/bench/data/$name.pcap") bytes, $(cat "$repo/bench/data/$name.sent.json")"
if [ "$scale" -gt 1 ]; then
  python3 "$repo/bench/scale_capture.py" "$repo/bench/data/$name.pcap" "$scale" "$repo/bench/data/$name-x$scale.pcap"
  echo "bench/data/$name-x$scale.pcap: $(stat -c %s "$repo/bench/data/$name-x$scale.pcap") bytes"
fi
