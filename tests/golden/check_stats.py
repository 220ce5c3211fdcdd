#!/usr/bin/env python3
"""--stats on real captures: per-op counts equal what the generating script sent, latency
percentiles are within 1% of the exact ones computed here from the message lines, paths fold
to --aggregation-depth, and nothing is left unanswered; etcd figures match the etcd lines.
usage: check_stats.py ZKDUMP PCAP_DIR"""
import collections
import glob
import json
import math
import os
import re
import subprocess
import sys

zkdump, pcaps = sys.argv[1:3]


def zkdump_json(*options):
    return subprocess.run([zkdump, "-q", "--json", *options], check=True, capture_output=True, text=True).stdout


failures = []
load = pcaps + "/pipelined_load.pcap"
stats = json.loads(zkdump_json("--stats", "-r", load))
sent = json.load(open(pcaps + "/pipelined_load.sent.json"))["sent"]
counted = {op: entry["count"] for op, entry in stats["op_stats"].items() if op != "ping"}
if counted != sent:
    failures.append("per-op counts %s != sent %s" % (counted, sent))
if stats["totals"]["unanswered"] != 0:
    failures.append("%d unanswered" % stats["totals"]["unanswered"])

# A failed multi is a failed reply: named so, its error the failed operation's (not
# RuntimeInconsistency), in text, JSON and --stats alike.
all_ops = pcaps + "/kazoo_all_ops.pcap"
text = subprocess.run([zkdump, "-q", "-r", all_ops], check=True, capture_output=True, text=True).stdout
if not re.search(r"FailedMultiReply\(xid=\d+, zxid=\d+, error=-110, results=\[RolledBack\(err=0\), "
                 r"Error\(err=-110, err_name=NodeExists\)", text):
    failures.append("the failed multi is not a FailedMultiReply with error=-110")
multi_replies = [m for m in map(json.loads, zkdump_json("-r", all_ops).splitlines())
                 if m["kind"] == "reply" and m["op"] == "multi"]
if sorted(m["err"] for m in multi_replies) != [-110, 0]:
    failures.append("multi replies' JSON err: %s" % [m["err"] for m in multi_replies])
multi_stats = json.loads(zkdump_json("--stats", "-r", all_ops))["op_stats"]["multi"]
if multi_stats["errors_by_name"] != {"NodeExists": 1}:
    failures.append("--stats counts the failed multi as %s" % multi_stats["errors_by_name"])

# The run's summary on stderr and --stats count requests and replies alike, on every capture.
for pcap in sorted(glob.glob(pcaps + "/*.pcap")):
    args_file = pcap[:-len(".pcap")] + ".args"
    extra = open(args_file).read().split() if os.path.exists(args_file) else []
    run = subprocess.run([zkdump, "--stats", "--json", *extra, "-r", pcap], check=True, capture_output=True,
                         text=True)
    totals = [doc for doc in map(json.loads, run.stdout.splitlines()) if doc["kind"] == "stats"][0]["totals"]
    summary = re.search(r"zkdump: (\d+) requests, (\d+) replies", run.stderr)
    if not summary or (int(summary.group(1)), int(summary.group(2))) != (totals["requests"], totals["replies"]):
        failures.append("%s: stderr says %s, --stats %d requests and %d replies"
                        % (os.path.basename(pcap), summary and summary.group(0), totals["requests"],
                           totals["replies"]))

# Exact percentiles (nearest rank) from the paired replies' latencies.
latencies = collections.defaultdict(list)
for line in zkdump_json("-p", "-r", load).splitlines():
    message = json.loads(line)
    if message["kind"] == "reply" and "latency_us" in message:
        latencies[message["op"]].append(message["latency_us"])
checked = 0
for op, values in latencies.items():
    values.sort()
    reported = stats["op_stats"][op]["latency"]
    for name, q in (("p50_us", 0.5), ("p90_us", 0.9), ("p99_us", 0.99), ("p999_us", 0.999)):
        exact = values[max(1, math.ceil(q * len(values))) - 1]
        if abs(reported[name] - exact) > exact * 0.01 + 0.05:
            failures.append("%s %s: %.1f, exact %d" % (op, name, reported[name], exact))
        checked += 1
    if reported["max_us"] != values[-1] or reported["min_us"] != values[0] or reported["count"] != len(values):
        failures.append("%s min/max/count %s, exact %d/%d/%d" % (op, reported, values[0], values[-1], len(values)))

folded = json.loads(zkdump_json("--stats", "--aggregation-depth", "1", "-r", pcaps + "/kazoo_all_ops.pcap"))
for row in folded["paths"]["by_requests"]:
    if row["path"].count("/") > 1:
        failures.append("path %s deeper than --aggregation-depth 1" % row["path"])
for key in ("op_stats", "paths", "clients", "session_changes", "watch_events", "totals"):
    if key not in folded:
        failures.append("no %s in --stats --json" % key)
if folded["session_changes"]["established"] < 3 or folded["watch_events"]["total"] == 0 or \
        "digest" not in [row["scheme"] for row in folded["auth_schemes"]]:
    failures.append("sessions/events/auth: %s %s %s" % (folded["session_changes"], folded["watch_events"],
                                                        folded["auth_schemes"]))

# --stats-interval: one document per interval of capture time, back to back, each counting only
# its own interval (rates over the interval), then the whole run; the intervals add up to it.
docs = [json.loads(line) for line in zkdump_json("--stats", "--stats-interval", "1", "-r", load).splitlines()]
intervals, run_doc = docs[:-1], docs[-1]
summed, summed_requests = collections.Counter(), 0
for doc in intervals:
    summed.update({op: entry["count"] for op, entry in doc["op_stats"].items()})
    summed_requests += doc["totals"]["requests"]
    for op, entry in doc["op_stats"].items():
        if abs(entry["rate"] - entry["count"] / doc["duration_s"]) > 0.01:
            failures.append("--stats-interval: %s rate %s for %d in %s s" % (op, entry["rate"], entry["count"],
                                                                          doc["duration_s"]))
if len(intervals) < 2 or any(doc["scope"] != "interval" for doc in intervals) or run_doc["scope"] != "run":
    failures.append("--stats-interval: scopes %s" % [doc["scope"] for doc in docs])
elif dict(summed) != {op: entry["count"] for op, entry in stats["op_stats"].items()} or \
        summed_requests != run_doc["totals"]["requests"]:
    failures.append("--stats-interval: %d documents counting %s" % (len(docs), dict(summed)))
# The first begins with the run, the others on whole seconds; all but the first and last last 1 s.
for earlier, later in zip(intervals, intervals[1:]):
    if later["start"] != earlier["end"] or later["start"] % 1 != 0:
        failures.append("--stats-interval: interval %s-%s then %s" % (earlier["start"], earlier["end"], later["start"]))
for doc in intervals[1:-1]:
    if abs(doc["duration_s"] - 1.0) > 1e-6:
        failures.append("--stats-interval: a middle interval of %s s" % doc["duration_s"])
if not (intervals[0]["start"] == run_doc["start"] and intervals[-1]["end"] == run_doc["end"]):
    failures.append("--stats-interval: intervals %s-%s, run %s-%s" % (intervals[0]["start"], intervals[-1]["end"],
                                                                     run_doc["start"], run_doc["end"]))

# zktraffic's modes: --count-requests N by type, --measure-latency N sorted by --sort-by.
TYPE_NAMES = {"connect": "ConnectRequest", "closeSession": "CloseRequest", "create": "CreateRequest",
              "exists": "ExistsRequest", "getChildren": "GetChildrenRequest", "getData": "GetDataRequest",
              "setData": "SetDataRequest"}
count_lines = subprocess.run([zkdump, "-q", "--count-requests", "1000000", "--group-by", "type", "-r", load],
                             check=True, capture_output=True, text=True).stdout.split("\n")
by_type = dict((name, int(count)) for name, count in (line.rsplit(" ", 1) for line in count_lines if line))
by_type.pop("PingRequest", None)
if by_type != {TYPE_NAMES[op]: count for op, count in sent.items()}:
    failures.append("--count-requests by type %s, sent %s" % (by_type, sent))
first_ten = subprocess.run([zkdump, "-q", "--count-requests", "10", "--group-by", "client", "-r", load],
                           check=True, capture_output=True, text=True).stdout.split()
if sum(int(count) for count in first_ten[1::2]) != 10:
    failures.append("--count-requests 10 counted %s" % first_ten)
# Clients are hosts, the same in --stats as in --group-by client.
stats_clients = {row["client"] for row in stats["clients"]["by_requests"]}
if set(first_ten[0::2]) != stats_clients:
    failures.append("--group-by client groups %s, --stats %s" % (set(first_ten[0::2]), stats_clients))
latency_lines = subprocess.run([zkdump, "-q", "--measure-latency", "3000", "--group-by", "type", "--sort-by", "p99",
                                "-r", load], check=True, capture_output=True, text=True).stdout.splitlines()
if latency_lines[0].split() != ["type", "avg", "p95", "p99"]:
    failures.append("--measure-latency header %r" % latency_lines[0])
p99s = [float(line.split()[3]) for line in latency_lines[2:]]
if not p99s or p99s != sorted(p99s, reverse=True):
    failures.append("--measure-latency not sorted by p99: %s" % latency_lines)

# etcd: each method's calls, messages, statuses, first-answer latencies, watch events and Txn
# outcomes, as counted from the message lines themselves.
etcd_args = ["--etcd-port", "2379", "-r", pcaps + "/etcd_kv.pcap"]
etcd_lines = [json.loads(line) for line in zkdump_json(*etcd_args).splitlines()]
etcd_stats = [doc for doc in map(json.loads, zkdump_json("--stats", *etcd_args).splitlines())
              if doc["kind"] == "etcd_stats"]
expected = collections.defaultdict(lambda: {"calls": 0, "requests": 0, "replies": 0, "statuses": collections.Counter(),
                                            "latencies": []})
for line in etcd_lines:
    if line.get("op") == "http1" or line["kind"] == "event":  # the gateway's HTTP/1.1, watch events
        continue
    entry = expected[line["op"]] if "op" in line else None
    if line["kind"] == "request":
        entry["requests"] += 1
    elif line["kind"] == "reply":
        entry["replies"] += 1
    elif line["kind"] == "status":
        entry["calls"] += 1
        entry["statuses"][line["grpc_status_name"]] += 1
    if entry is not None and "latency_us" in line:
        entry["latencies"].append(line["latency_us"])
if len(etcd_stats) != 1:
    failures.append("etcd: %d etcd_stats documents" % len(etcd_stats))
else:
    for method, want in expected.items():
        got = etcd_stats[0]["methods"].get(method, {})
        if [got.get(k) for k in ("calls", "requests", "replies")] != [want[k] for k in ("calls", "requests", "replies")] \
                or got.get("statuses") != dict(want["statuses"]) \
                or got.get("latency", {}).get("count") != len(want["latencies"]) \
                or got["latency"]["max_us"] != max(want["latencies"], default=0):
            failures.append("etcd %s: %s, lines say %s" % (method, got, want))
    events = [line for line in etcd_lines if line["kind"] == "event"]
    txns = [line["succeeded"] for line in etcd_lines if line.get("op") == "Txn" and line["kind"] == "reply"]
    activity, outcomes = etcd_stats[0]["watch_activity"], etcd_stats[0]["txn_outcomes"]
    if activity["events"] != len(events) or activity["deletes"] != sum(e["event"] == "DELETE" for e in events):
        failures.append("etcd watch: %s for %d events in the lines" % (activity, len(events)))
    if [outcomes["succeeded_count"], outcomes["failed_count"]] != [txns.count(True), txns.count(False)]:
        failures.append("etcd txn: %s, lines say %s" % (outcomes, txns))

if failures:
    sys.exit("FAIL: " + "\n".join(failures))
print("%d ops counted as sent; %d percentiles within 1%% of exact" % (len(counted), checked))
