#!/usr/bin/env bash
# The exporter's cardinality stays bounded: a real ZooKeeper server, 10,000 kazoo clients each
# from an address of its own creating 10 new znodes (100,000 distinct paths), captured by
# tcpdump; zkdump -r on the capture with --metrics-listen is scraped. The series must stay
# under the cap the man page documents (7,500), paths and clients at --metrics-top (10) plus
# other each, and their series must still add up to every create and every client request.
# usage: metrics_cardinality.sh ZKDUMP REPO [CLIENTS [PATHS_PER_CLIENT]]
set -euo pipefail
zkdump=$1 repo=$2 clients=${3:-10000} per_client=${4:-10}
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
zkdump_pid=
cleanup() {
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  if [ -n "${CAPTURE_PID:-}" ]; then kill "$CAPTURE_PID" 2>/dev/null || true; fi
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(free_port) metrics_port=$(free_port)
start_zk "$work/zk" "$port" forceSync=no
start_capture "$work/many.pcap" "$port"
"$ZK_PYTHON" "$repo/scripts/traffic/many_clients.py" "127.0.0.1:$port" "$clients" "$per_client" > "$work/sent.json" 2> "$work/clients.log"
stop_capture "$work/many.pcap"

"$zkdump" -r "$work/many.pcap" --port "$port" --metrics-listen "127.0.0.1:$metrics_port" > /dev/null 2> "$work/zkdump.err" &
zkdump_pid=$!
for _ in $(seq 1 600); do grep -q "capture ended" "$work/zkdump.err" && break; sleep 0.1; done
grep -q "capture ended" "$work/zkdump.err" || fail "zkdump did not finish the capture: $(cat "$work/zkdump.err")"
start=$(date +%s%N)
curl -sf "http://127.0.0.1:$metrics_port/metrics" > "$work/scrape.txt"
scrape_ms=$(( ($(date +%s%N) - start) / 1000000 ))
promtool check metrics < "$work/scrape.txt" || fail "promtool check metrics"
kill -INT "$zkdump_pid"; wait "$zkdump_pid" || fail "zkdump exited $?"
zkdump_pid=

"$ZK_PYTHON" - "$work" "$scrape_ms" <<'PY'
import collections, json, re, sys
work, scrape_ms = sys.argv[1], sys.argv[2]
sent = json.load(open(work + "/sent.json"))
series = collections.Counter()
values = collections.defaultdict(dict)
for line in open(work + "/scrape.txt"):
    if line.startswith("#") or not line.strip():
        continue
    name_labels, value = line.rsplit(" ", 1)
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name_labels).group(0)
    series[name] += 1
    values[name][name_labels] = float(value)
total = sum(series.values())
CAP = 7500
if total >= CAP:
    sys.exit("FAIL: %d series, the documented cap is %d" % (total, CAP))
for name in ("zkdump_path_requests_total", "zkdump_client_requests_total"):
    if series[name] > 11:
        sys.exit("FAIL: %s has %d series, --metrics-top is 10 (plus other)" % (name, series[name]))
paths = sum(values["zkdump_path_requests_total"].values())
creates = values["zkdump_requests_total"]['zkdump_requests_total{op="create"}']
if creates < sent["sent"]["create"]:
    sys.exit("FAIL: %d creates counted, %d sent" % (creates, sent["sent"]["create"]))
requests = sum(values["zkdump_requests_total"].values())
clients = sum(values["zkdump_client_requests_total"].values())
if clients != requests - values["zkdump_requests_total"].get('zkdump_requests_total{op="connect"}', 0):
    sys.exit("FAIL: client series add up to %d, requests other than connect are %d" % (clients, requests))
print("cardinality: %d client hosts, %d creates -> %d series in all (cap %d); paths %d series adding up "
      "to %d, clients %d series adding up to %d; scrape %s ms" %
      (sent["client_hosts"], sent["sent"]["create"], total, CAP, series["zkdump_path_requests_total"], paths,
       series["zkdump_client_requests_total"], clients, scrape_ms))
PY
