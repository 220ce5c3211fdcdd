#!/usr/bin/env python3
"""pcaps/ensemble_failover.pcap (scripts/make_ensemble_capture.sh) holds a real ensemble under
load through a leader killed with SIGKILL, its restart and rejoin, and a fourth server added by
reconfig and removed again. zkdump must keep the ensemble view true in every epoch:
- every traced write has a quorum stage, ending at the ACK that made the majority of the voters
  in force (3, then 4 once the add is activated, then 3), the leader's own ACK counted, ACKs
  of a server not yet voting not counted: checked against the Ack lines' timestamps;
- the elections and rejoins the script made, the leaders it saw, in order, and the outage;
- both reconfigs committed (CommitAndActivate with its latency), nothing left uncommitted;
- the leader known from ZAB also on the capture cut mid-reign, in lines and in the metrics.
usage: check_ensemble.py ZKDUMP PCAP_DIR WORK_DIR"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import recut  # noqa: E402

zkdump, pcaps, work = sys.argv[1:4]
base = os.path.join(pcaps, "ensemble_failover")
args = open(base + ".args").read().split()
events = [line.split(None, 2) for line in open(base + ".events")]
failures = []


def run(*extra, pcap=base + ".pcap"):
    out = subprocess.run([zkdump, "-q", "--json", *args, *extra, "-r", pcap],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def check(condition, what):
    if not condition:
        failures.append(what)


lines = run()
zab = [m for m in lines if m["kind"] == "message" and m["proto"] == "zab"]

# Which link is whose: FOLLOWERINFO names the learner of each.
learner_of = {m["from"]: m["sid"] for m in zab if m["name"] == "FollowerInfo"}
commits = {}  # reconfig zxid > its first CommitAndActivate
for m in zab:
    if m["name"] == "CommitAndActivate":
        commits.setdefault(m["zxid"], m["ts"])
proposed = {}  # reconfig zxid > its first Proposal
for m in zab:
    if m["name"] == "Proposal" and m.get("txn") == "reconfig":
        proposed.setdefault(m["zxid"], m["ts"])
reconfigs = sorted(commits)
check(len(reconfigs) == 2 and sorted(proposed) == reconfigs, "two reconfigs proposed and committed")
check(all("latency_us" in m for m in zab if m["name"] == "CommitAndActivate"),
      "every CommitAndActivate has its commit latency")
check(not any(m["name"] == "Uncommitted" for m in zab), "no proposal left uncommitted")
check(not any(m["name"] == "Ping" for m in zab), "ZAB pings printed without -p")
CONFIGS = [[1, 2, 3], [1, 2, 3, 4], [1, 2, 3]]  # at the start, after the add, after the remove


def voters_of(zxid, proposed_ts):
    """The configs a proposal needs a majority of: the one in force when it was proposed, and a
    reconfig's proposed before it and not yet committed (ZooKeeper's joint consensus)."""
    in_force = CONFIGS[sum(1 for r in reconfigs if commits[r] <= proposed_ts)]
    pending = [CONFIGS[i + 1] for i, r in enumerate(reconfigs)
               if r <= zxid and proposed[r] <= proposed_ts < commits[r]]
    return [in_force] + pending


def follower_acks_needed(voters, leader):
    return len(voters) // 2 + 1 - (1 if leader in voters else 0)


acks = {}
for m in zab:
    if m["name"] == "Ack" and "latency_us" in m:
        acks.setdefault(m["zxid"], []).append((round(m["ts"] * 1e6), learner_of.get(m["from"])))

elected = [int(e[2]) for e in events if e[1] == "elected"]
traces = [t for t in lines if t["kind"] == "write_trace" and t["zxid"]]
check(len(traces) > 400, "%d writes traced, more than 400 expected" % len(traces))
wrong = []
for trace in traces:
    stages = trace["stages_us"]
    if "quorum" not in stages:
        wrong.append("zxid %#x: no quorum stage" % trace["zxid"])
        continue
    start_us = round(trace["ts"] * 1e6) - trace["total_us"]
    proposed_us = start_us + sum(stages.get(s, 0) for s in ("forward", "propose"))
    quorum_end = proposed_us + stages["quorum"]
    leader = elected[(trace["zxid"] >> 32) - 1]
    configs = voters_of(trace["zxid"], proposed_us / 1e6)
    made = None
    for ts, _ in sorted(acks.get(trace["zxid"], [])):
        if all(sum(1 for t, sid in acks[trace["zxid"]] if t <= ts and sid in voters)
               >= follower_acks_needed(voters, leader) for voters in configs):
            made = ts
            break
    if made is None or abs(made - quorum_end) > 1:
        wrong.append("zxid %#x: quorum ends at %d, the ACK making a majority of %s at %s"
                     % (trace["zxid"], quorum_end, configs, made))
check(not wrong, "%d of %d traces with a wrong quorum stage, first: %s"
      % (len(wrong), len(traces), wrong[:3]))
epochs = {t["zxid"] >> 32 for t in traces}
check(epochs == {1, 2}, "writes traced in epochs 1 and 2, got %s" % sorted(epochs))

# Elections, rejoins and leaders, as the script made them.
changes = [m for m in lines if m["kind"] == "leader"]
check([c["leader"] for c in changes] == elected,
      "LeaderChanged lines name %s, the servers said %s" % ([c["leader"] for c in changes], elected))
check([c["epoch"] for c in changes] == [1, 2], "leaders' epochs 1 and 2")
if len(changes) == 2:
    killed = float(next(e[0] for e in events if e[1] == "killed"))
    check(changes[1].get("previous") == elected[0], "the second leader's previous is the first")
    outage = changes[1].get("unavailable_ms", -1)
    check(0 < outage < 10000 and changes[1]["ts"] > killed,
          "outage %s ms, ending after the kill" % outage)
summary = next(m for m in run("--stats") if m["kind"] == "quorum_summary")
elections = [e for e in summary["elections"] if not e["rejoin"]]
rejoins = [e for e in summary["elections"] if e["rejoin"]]
check([e["winner"] for e in elections] == elected,
      "elections won by %s, the servers said %s" % ([e["winner"] for e in elections], elected))
rejoined = int(next(e[2] for e in events if e[1] == "rejoined"))
synced = [s["sid"] for e in rejoins for s in e["servers"] if s["synced_ts"] is not None]
check(rejoined in synced and 4 in synced,
      "rejoins of server %d and of the added server 4, with their sync; got %s" % (rejoined, synced))
check([l["leader"] for l in summary["leaders"]] == elected, "the summary's leaders")

# The capture cut mid-reign: the first leader known from its first packet, until the failover.
packets = recut.read_pcap(base + ".pcap")
cut_at = float(events[0][0]) + 1.5
cut = os.path.join(work, "ensemble_midreign.pcap")
recut.write_pcap(cut, [p for p in packets if p["ts"][0] + p["ts"][1] / 1e6 >= cut_at])
cut_lines = run(pcap=cut)
cut_changes = [(c["epoch"], c["address"]) for c in cut_lines if c["kind"] == "leader"]
check(cut_changes[:2] == [(1, "127.0.0.1:%d" % (2890 + elected[0])), (2, "127.0.0.1:%d" % (2890 + elected[1]))],
      "mid-reign cut: leaders %s" % cut_changes)
cut_previous = [c.get("previous") for c in cut_lines if c["kind"] == "leader"][1:2]
check(cut_previous == [elected[0]],
      "mid-reign cut: the first leader named by the config its successor's election carried, got %s"
      % cut_previous)
cut_traces = [t for t in cut_lines if t["kind"] == "write_trace" and t["zxid"]]
check(cut_traces and all("quorum" in t["stages_us"] for t in cut_traces),
      "mid-reign cut: every traced write has its quorum stage")

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ensemble view true through failover, rejoin and reconfig: %d writes traced, quorum at the "
      "majority's ACK in every epoch; elections %s, rejoins %s; outage %s ms"
      % (len(traces), elected, synced, changes[1].get("unavailable_ms")))
