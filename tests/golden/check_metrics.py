#!/usr/bin/env python3
"""The exporter agrees with --stats: on bundled ZooKeeper, quorum and etcd captures, zkdump -r
with --metrics-listen serves an exposition promtool accepts whose per-op and per-method
requests, errors and latency-histogram counts, and per-follower ACK and COMMIT histogram counts,
equal those of `--stats --json` on the same capture, and so do the analyses' (write stages per
server, watch storms, sessions at risk and expired, size alerts); its /stats.json is those
documents.
usage: check_metrics.py ZKDUMP PCAP_DIR"""
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

zkdump, pcaps = sys.argv[1], sys.argv[2]
CAPTURES = ["kazoo_all_ops", "pipelined_load", "quorum_failover", "quorum_workload", "etcd_kv",
            "etcd_admin", "etcd_midstream"]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
failures = []


def args_of(name):
    path = os.path.join(pcaps, name + ".args")
    return open(path).read().split() if os.path.exists(path) else []


def served(name):
    """The exposition and /stats.json zkdump serves once it has read the capture."""
    process = subprocess.Popen([zkdump, "-r", os.path.join(pcaps, name + ".pcap"), *args_of(name),
                                "--metrics-listen", "127.0.0.1:0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            match = re.search(r"serving metrics on port (\d+)", line)
            if match:
                base = "http://127.0.0.1:%s" % match.group(1)
                metrics = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
                stats = urllib.request.urlopen(base + "/stats.json", timeout=10).read().decode()
                return metrics, stats
        raise SystemExit("FAIL %s: zkdump never said it was serving" % name)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def samples(exposition):
    found = {}
    for line in exposition.splitlines():
        if line.startswith("#"):
            continue
        name, labels, value = SAMPLE.match(line).groups()
        found[(name, tuple(sorted(LABEL.findall(labels or ""))))] = float(value)
    return found


def total(found, name, **labels):
    return sum(value for (metric, pairs), value in found.items()
               if metric == name and all(dict(pairs).get(k) == v for k, v in labels.items()))


def expect(name, what, got, want):
    if got != want:
        failures.append("%s: %s is %s in the metrics, %s in --stats" % (name, what, got, want))


for name in CAPTURES:
    metrics, stats_json = served(name)
    check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True)
    if check.returncode != 0:
        failures.append("%s: promtool check metrics: %s" % (name, check.stdout + check.stderr))
    report = subprocess.run([zkdump, "-r", os.path.join(pcaps, name + ".pcap"), *args_of(name), "--stats", "--json", "-q"],
                            capture_output=True, text=True, check=True).stdout
    documents = {d["kind"]: d for d in map(json.loads, report.splitlines())}
    served_documents = {d["kind"]: d for d in map(json.loads, stats_json.splitlines())}
    for kind in ("stats", "zab_stats", "etcd_stats", "analysis_stats"):
        expect(name, "/stats.json " + kind, served_documents.get(kind), documents.get(kind))
    found = samples(metrics)
    for op, figures in documents["stats"]["op_stats"].items():
        expect(name, "requests of " + op, total(found, "zkdump_requests_total", op=op), figures["count"])
        errors = total(found, "zkdump_replies_total", op=op) - total(found, "zkdump_replies_total", op=op, err="OK")
        if op == "exists":  # NoNode answers it: not an error
            errors -= total(found, "zkdump_replies_total", op=op, err="NoNode")
        expect(name, "errors of " + op, errors, figures["errors"])
        expect(name, "latency count of " + op,
               total(found, "zkdump_request_duration_seconds_count", op=op), figures["latency"]["count"])
    for follower, figures in documents.get("zab_stats", {}).get("followers", {}).items():
        for kind in ("ack", "commit"):
            expect(name, "%s count of %s" % (kind, follower),
                   total(found, "zkdump_zab_%s_duration_seconds_count" % kind, follower=follower),
                   figures[kind + "_latency"]["count"])
    for method, figures in documents.get("etcd_stats", {}).get("methods", {}).items():
        label = "unknown" if method == "(unknown)" else method
        expect(name, "calls of " + method, total(found, "zkdump_etcd_calls_total", method=label), figures["calls"])
        expect(name, "requests of " + method, total(found, "zkdump_etcd_requests_total", method=label), figures["requests"])
        expect(name, "replies of " + method, total(found, "zkdump_etcd_replies_total", method=label), figures["replies"])
        expect(name, "latency count of " + method,
               total(found, "zkdump_etcd_request_duration_seconds_count", method=label), figures["latency"]["count"])
    analyses = documents.get("analysis_stats")
    if analyses:
        for server, stages in analyses["write_path"]["by_server"].items():
            for stage, figures in stages.items():
                expect(name, "write stage %s of %s" % (stage, server),
                       total(found, "zkdump_write_stage_duration_seconds_count", server=server, stage=stage),
                       figures["count"])
        expect(name, "watch storms", total(found, "zkdump_watch_storms_total"), analyses["watches"]["storms"])
        health = analyses["session_health"]
        expect(name, "sessions at risk", total(found, "zkdump_sessions_at_risk_total"), health["at_risk"])
        sources = {"leader_txn": "txn", "refused_reconnect": "refused", "expired_reply": "reply",
                   "server_close": "server_close"}
        for key, count in health["expiries"].items():
            expect(name, "expiries by " + sources[key],
                   total(found, "zkdump_session_expiries_total", source=sources[key]), count)
        for key, count in analyses["sizes"]["alerts"].items():
            what = {"requests": "request", "replies": "reply", "txns": "txn"}[key]
            expect(name, "size alerts of " + what, total(found, "zkdump_size_alerts_total", what=what), count)
    print("%s: %d series, promtool passes, counts agree with --stats" % (name, len(found)))

for failure in failures:
    print("FAIL " + failure)
sys.exit(1 if failures else 0)
