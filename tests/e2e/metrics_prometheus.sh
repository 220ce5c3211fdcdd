#!/usr/bin/env bash
# End to end for the exporter: a real ZooKeeper server on 127.0.0.1, zkdump capturing live on lo
# with --metrics-listen after -Z nobody, a real Prometheus scraping it every second, and real
# kazoo clients (every operation, then pipelined load). Asserts through Prometheus's HTTP API
# that the requests per op equal what the clients sent and each op's latency histogram counts
# its paired replies; promtool check metrics passes on a scrape; /stats.json validates against
# the schema; and zkdump saw 0 kernel drops. Two replays of the ensemble's capture (whole, and cut
# mid-reign before its failover) are scraped beside it: the leader, its epoch and the leader
# changes are there whenever ZAB was seen.
# usage: metrics_prometheus.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
chmod 755 "$work"
zkdump_pid= prometheus_pid=
replay_pids=()
cleanup() {
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  for pid in "${replay_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$prometheus_pid" ]; then kill "$prometheus_pid" 2>/dev/null || true; wait "$prometheus_pid" 2>/dev/null || true; fi
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(free_port) metrics_port=$(free_port) prometheus_port=$(free_port)
start_zk "$work/zk" "$port"
"$zkdump" -i lo --port "$port" --stats -Z nobody --metrics-listen "127.0.0.1:$metrics_port" \
  > "$work/stats.txt" 2> "$work/zkdump.err" &
zkdump_pid=$!
wait_for_http "http://127.0.0.1:$metrics_port/" || fail "no metrics endpoint: $(cat "$work/zkdump.err")"
[ "$(awk '/^Uid:/ {print $2}' "/proc/$zkdump_pid/status")" = "$(id -u nobody)" ] || fail "-Z nobody did not apply"

# The ensemble's capture replayed, whole and cut mid-reign before the failover: the leader is
# known from ZAB alone, by address until a config names its sid.
ensemble=$repo/pcaps/ensemble_failover
"$ZK_PYTHON" - "$repo/scripts" "$ensemble" "$work/midreign.pcap" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import recut
events = [line.split() for line in open(sys.argv[2] + ".events")]
start, killed = float(events[0][0]) + 1.5, float(next(e[0] for e in events if e[1] == "killed"))
packets = [p for p in recut.read_pcap(sys.argv[2] + ".pcap") if start <= p["ts"][0] + p["ts"][1] / 1e6 < killed]
recut.write_pcap(sys.argv[3], packets)
PY
replay_ports=()
for capture in "$ensemble.pcap" "$work/midreign.pcap"; do
  replay_port=$(free_port)
  "$zkdump" -q -r "$capture" --omni --stats --metrics-listen "127.0.0.1:$replay_port" > /dev/null 2>&1 &
  replay_pids+=($!)
  replay_ports+=("$replay_port")
  wait_for_http "http://127.0.0.1:$replay_port/" || fail "no metrics endpoint for $capture"
done

cat > "$work/prometheus.yml" <<CFG
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: zkdump
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
  - job_name: ensemble
    static_configs:
      - targets: ["127.0.0.1:${replay_ports[0]}"]
  - job_name: midreign
    static_configs:
      - targets: ["127.0.0.1:${replay_ports[1]}"]
CFG
start_prometheus "$work" "$prometheus_port"
prometheus_pid=$PROMETHEUS_PID

"$ZK_PYTHON" "$repo/scripts/traffic/kazoo_all_ops.py" "127.0.0.1:$port" > "$work/all_ops.json" 2> "$work/all_ops.log"
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" 3 2000 > "$work/load.json" 2> "$work/load.log"

curl -sf "http://127.0.0.1:$metrics_port/metrics" > "$work/scrape.txt"
promtool check metrics < "$work/scrape.txt" || fail "promtool check metrics"
curl -sf "http://127.0.0.1:$metrics_port/stats.json" > "$work/stats.json"
"$ZK_PYTHON" - "$repo/schema/zkdump.schema.json" "$work/stats.json" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
documents = [json.loads(line) for line in open(sys.argv[2])]
for document in documents:
    jsonschema.validate(document, schema)
assert documents[0]["kind"] == "stats", documents[0]["kind"]
print("/stats.json: %d schema-valid documents" % len(documents))
PY

# Prometheus's view, once its scrapes have caught up with what the clients sent.
"$ZK_PYTHON" - "$work" "$prometheus_port" <<'PY'
import collections, json, sys, time, urllib.parse, urllib.request
work, port = sys.argv[1], sys.argv[2]
sent = collections.Counter(json.load(open(work + "/all_ops.json")))
sent.update(json.load(open(work + "/load.json"))["sent"])

def query(expression):
    url = "http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expression}))
    answer = json.load(urllib.request.urlopen(url, timeout=5))
    assert answer["status"] == "success", answer
    return {sample["metric"].get("op", ""): int(float(sample["value"][1])) for sample in answer["data"]["result"]}

deadline = time.time() + 20
while True:
    requests = query('sum by (op) (zkdump_requests_total{job="zkdump"})')
    requests.pop("ping", None)  # kazoo's own, not the workload's
    durations = query('sum by (op) (zkdump_request_duration_seconds_count{job="zkdump"})')
    replies = query('sum by (op) (zkdump_replies_total{job="zkdump"})')
    if requests == dict(sent) and durations == replies or time.time() > deadline:
        break
    time.sleep(1)
if requests != dict(sent):
    sys.exit("FAIL: Prometheus has requests %s, the clients sent %s" % (requests, dict(sent)))
if durations != replies:
    sys.exit("FAIL: histogram counts %s != paired replies %s" % (durations, replies))
# The ensemble: the leader and its epoch whenever ZAB was seen, also joined mid-reign.
ensemble = {job: (query('zkdump_election_leader{job="%s"}' % job).get(""),
                  query('zkdump_zab_leader_epoch{job="%s"}' % job).get(""),
                  query('zkdump_zab_leader_changes_total{job="%s"}' % job).get(""))
            for job in ("ensemble", "midreign")}
if ensemble != {"ensemble": (2, 2, 2), "midreign": (-1, 1, 1)}:
    sys.exit("FAIL: leader, epoch and changes by job: %s" % ensemble)
errors = query('sum by (op) (zkdump_replies_total{job="zkdump",err!="OK"})')
series = query('count({__name__=~"zkdump_.*",job="zkdump"})')[""]
print("Prometheus: %d requests over %d ops as sent, histogram counts equal paired replies; "
      "%d ops with errors; %d zkdump series; ensemble leader, epoch, changes %s"
      % (sum(requests.values()), len(requests), len(errors), series, ensemble))
PY
grep -q '^zkdump_kernel_drops_total 0$' "$work/scrape.txt" || fail "kernel drops: $(grep kernel_drops "$work/scrape.txt")"

kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
[ "$status" -eq 0 ] || fail "zkdump exited $status: $(cat "$work/zkdump.err")"
grep -q " 0 dropped by kernel" "$work/zkdump.err" || fail "kernel drops: $(cat "$work/zkdump.err")"
echo "metrics: Prometheus scraped zkdump after -Z nobody; counts match the workload, promtool passes"
