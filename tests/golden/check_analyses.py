#!/usr/bin/env python3
"""The analyses on pcaps/quorum_workload.pcap report what scripts/make_quorum_workload.sh did
(quorum_workload.sent.json):
- write tracing: every client write and sync has one write_trace; its stages are in order and add
  up to total_us, which is the reply's latency; writes through a follower have a forward stage,
  writes on the leader none; the frozen follower's client shows the freeze in the stages that
  follower runs (forward, reply) while the quorum (the other follower's ACK) and commit stay
  quick; syncs have a sync stage, and so do the reads sent behind them; --path and --op select
  write traces and request size alerts as they select exchanges, in the lines and in --stats;
- the watch storm: one watch_storm with every watcher notified and every follow-up read;
- session health: the expired session was at risk first (at the moment it became so), then
  expired, reported once at its first sign (the leader's txn) after a silence past its 2 s
  timeout, though its reconnect was refused later too; a connection storm
  past --connection-storm 40 and none at the default 60;
- sizes: the 700 KB create alerts as a request and as a txn, and nothing else does;
and registrations count addWatch and SetWatches on the captures that have them.
usage: check_analyses.py ZKDUMP PCAP_DIR"""
import collections
import json
import os
import subprocess
import sys

zkdump, pcaps = sys.argv[1], sys.argv[2]
base = os.path.join(pcaps, "quorum_workload")
sent = json.load(open(base + ".sent.json"))
args = open(base + ".args").read().split()
failures = []
STAGES = ["forward", "propose", "quorum", "commit", "sync", "reply"]
TRACED = {"create", "delete", "setData", "setACL", "check", "multi", "create2", "reconfig",
          "createContainer", "deleteContainer", "createTTL", "closeSession", "sync"}


def run(*extra, pcap=base + ".pcap"):
    out = subprocess.run([zkdump, "-q", "--json", *extra, "-r", pcap], capture_output=True,
                         text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def check(condition, message):
    if not condition:
        failures.append(message)


lines = run(*args)
kinds = collections.defaultdict(list)
for line in lines:
    kinds[line["kind"]].append(line)

# ---- Write path ----
replies = {(m["client"], m["xid"]): m for m in kinds["reply"] if m.get("op") in TRACED}
traces = {(t["client"], t["xid"]): t for t in kinds["write_trace"] if t["op"] in TRACED}
reads = [t for t in kinds["write_trace"] if t["op"] not in TRACED]
check(len(kinds["write_trace"]) == len(traces) + len(reads), "a write traced twice")
check(set(replies) == set(traces), "writes without a trace: %s; traces without a write: %s"
      % (sorted(set(replies) - set(traces))[:5], sorted(set(traces) - set(replies))[:5]))
leader_port = 2190 + sent["leader"]
for key, trace in traces.items():
    stages = trace["stages_us"]
    check(list(stages) == [s for s in STAGES if s in stages], "stages out of order: %s" % trace)
    check(sum(stages.values()) == trace["total_us"], "stages do not add up: %s" % trace)
    if key in replies:
        check(trace["total_us"] == replies[key]["latency_us"], "total_us is not the latency: %s" % trace)
    on_leader = trace["server"].endswith(":%d" % leader_port)
    check(("forward" in stages) != on_leader,
          "%s on %s: forward stage %s" % (trace["op"], trace["server"], "forward" in stages))
    if trace["op"] != "sync":
        check({"propose", "quorum"} <= set(stages), "no propose or quorum stage: %s" % trace)
    if not on_leader and trace["op"] != "sync":
        check("commit" in stages, "a follower's write without a commit stage: %s" % trace)

slow = [t for t in traces.values()
        if t.get("session") == sent["slow_writes"]["session"] and t["op"] != "closeSession"]
check(len(slow) == sent["slow_writes"]["writes"], "%d traces of the slow follower's client, %d writes"
      % (len(slow), sent["slow_writes"]["writes"]))
frozen_us = max(max(t["stages_us"].get("forward", 0), t["stages_us"]["reply"]) for t in slow)
flat_us = max(max(t["stages_us"].get("quorum", 0), t["stages_us"].get("commit", 0)) for t in slow)
check(frozen_us >= 400_000, "the 0.5 s freeze is not in forward or reply: at most %d us" % frozen_us)
check(flat_us < 100_000, "quorum or commit waited for the frozen follower: %d us" % flat_us)

syncs = [t for t in traces.values() if t["op"] == "sync" and t.get("session") == sent["syncs"]["session"]]
check(len(syncs) == sent["syncs"]["syncs"] and all("sync" in t["stages_us"] for t in syncs),
      "%d syncs traced with a sync stage, %d made" % (len(syncs), sent["syncs"]["syncs"]))
# Each read sent behind a sync is traced; the sync stage is there when the leader's SYNC came after it.
check(len(reads) == sent["syncs"]["syncs"] and all(t.get("session") == sent["syncs"]["session"]
                                                   and t["op"] == "getData" for t in reads),
      "reads behind a sync traced: %s" % [(t.get("session"), t["op"]) for t in reads])
check(any("sync" in t["stages_us"] for t in reads), "no read behind a sync has a sync stage")
for trace in reads:
    check(sum(trace["stages_us"].values()) == trace["total_us"], "stages do not add up: %s" % trace)

# ---- Watch storm ----
storm = sent["watch_storm"]
storms = kinds["watch_storm"]
check(len(storms) == 1, "%d watch storms, 1 expected" % len(storms))
if storms:
    found = storms[0]
    check(found["path"] == storm["path"] and found["notifications"] == storm["watchers"]
          and found["notified_sessions"] == storm["watchers"]
          and found["follow_up_reads"] == storm["rereads"], "watch storm %s, sent %s" % (found, storm))

# ---- Session health ----
expired = sent["expired_session"]
at_risk = [f for f in kinds["session_at_risk"] if f["session"] == expired]
by_source = {f["source"]: f for f in kinds["session_expired"] if f["session"] == expired}
check(len(at_risk) == 1 and at_risk[0]["silent_us"] == at_risk[0]["timeout"] * 1000 * 2 // 3,
      "the expiring session was not reported at risk once, when it became so: %s" % at_risk)
check(set(by_source) == {"txn"}, "expiry of %s seen as %s" % (expired, sorted(by_source)))
refusals = [line for line in kinds["reply"] if line.get("expired") is True]
check(len(refusals) == 1 and all(refusals[0]["ts"] > f["ts"] for f in by_source.values()),
      "the refused reconnect after the expiry: %s" % refusals)
for finding in by_source.values():
    check(finding["silent_us"] >= finding["timeout"] * 1000, "expired before its timeout: %s" % finding)
    check(not at_risk or at_risk[0]["ts"] < finding["ts"], "expired before it was at risk: %s" % finding)
check(not kinds["connection_storm"], "a connection storm at the default threshold")
storms = [line for line in run(*args, "--connection-storm", "40") if line["kind"] == "connection_storm"]
check(len(storms) >= 1 and 41 in (storms[0]["open_connections"], storms[0]["connects"]),
      "no connection storm past 40: %s" % storms[:1])

# ---- Sizes ----
big = sent["large_znode"]
alerts = sorted((a["what"], a["path"]) for a in kinds["size_alert"])
check(alerts == [("request", big["path"]), ("txn", big["path"])], "size alerts: %s" % alerts)
check(all(a["size"] >= big["bytes"] for a in kinds["size_alert"]), "an alert smaller than the znode")

# ---- The field filters select a write_trace and a request's size_alert as they select its exchange ----
slow_path = "/w/slow"
filtered = run(*args, "--path", slow_path)
filtered_traces = [t for t in filtered if t["kind"] == "write_trace"]
check(len(filtered_traces) == sum(t.get("path") == slow_path for t in kinds["write_trace"])
      and all(t.get("path") == slow_path for t in filtered_traces),
      "--path %s: %d write traces" % (slow_path, len(filtered_traces)))
check([a["what"] for a in filtered if a["kind"] == "size_alert"] == ["txn"],
      "--path %s: size alerts %s" % (slow_path, [a for a in filtered if a["kind"] == "size_alert"]))
scoped = [s for s in run(*args, "--stats", "--path", slow_path) if s["kind"] == "analysis_stats"][0]
check(scoped["write_path"]["traced"] == len(filtered_traces)
      and scoped["sizes"]["alerts"] == {"requests": 0, "replies": 0, "txns": 1},
      "--stats --path %s: %d traced, size alerts %s" % (slow_path, scoped["write_path"]["traced"],
                                                        scoped["sizes"]["alerts"]))
creates = [t for t in run(*args, "--op", "create") if t["kind"] == "write_trace"]
check(creates and all(t["op"] == "create" for t in creates)
      and len(creates) == sum(t["op"] == "create" for t in kinds["write_trace"]),
      "--op create: write traces of %s" % sorted({t["op"] for t in creates}))

# ---- Registrations, on the captures that have addWatch and SetWatches ----
def watches(pcap):
    report = [line for line in run("--stats", "--analyze", pcap=os.path.join(pcaps, pcap))
              if line["kind"] == "analysis_stats"]
    return report[0]["watches"]


kazoo = watches("kazoo_all_ops.pcap")
check(kazoo["registered"]["persistent_watch"] == 1 and kazoo["registered"]["persistent_recursive_watch"] == 1,
      "kazoo_all_ops: addWatch registrations %s" % kazoo["registered"])
reconnect = watches("reconnect.pcap")
check(sum(reconnect["reregistered"].values()) > 0, "reconnect: no SetWatches re-registration counted")

for failure in failures:
    print("FAIL " + failure)
if failures:
    sys.exit(1)
print("analyses: %d writes traced (%d through followers), a %d-notification storm, %s at risk then "
      "expired (%s), %d size alerts" % (len(traces), sum("forward" in t["stages_us"] for t in traces.values()),
                                       storm["watchers"], expired, ", ".join(sorted(by_source)),
                                       len(kinds["size_alert"])))
