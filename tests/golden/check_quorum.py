#!/usr/bin/env python3
"""Checks the decoding of a real ensemble's failover capture (scripts/make_quorum_capture.sh):
every PROPOSAL has its COMMIT, the election summary names the leaders the servers' own `srvr`
reported (one election per phase, two at the same election epoch), decoding resumes cleanly after
each snapshot, REVALIDATE pairs, --stats gives every follower's ACK and COMMIT latency percentiles
and the proposals per second, in text and JSON, and --omni names the ports it learned or warns.
usage: check_quorum.py ZKDUMP CAPTURE_BASE   (CAPTURE_BASE.pcap, .args, .leaders)"""
import json
import re
import subprocess
import sys

zkdump, base = sys.argv[1], sys.argv[2]
args = open(base + ".args").read().split()


def run(*extra):
    return subprocess.run([zkdump, "-q", *args, *extra, "-r", base + ".pcap"], check=True,
                          capture_output=True, text=True, env={"TZ": "UTC"}).stdout


out = run()
lines = out.splitlines()
failures = []

# Every PROPOSAL a leader sent a learner is committed on the same connection.
def sent(name):
    found = set()
    for line in lines:
        m = re.search(r" %s\(zxid=(0x[0-9a-f]+).*from=([^,]+), to=([^)]+)\)$" % name, line)
        if m:
            found.add((m.group(1), m.group(2), m.group(3)))
    return found
proposals, commits = sent("Proposal"), sent("Commit")
if not proposals:
    failures.append("no Proposal decoded")
if proposals - commits:
    failures.append("proposals without a commit: %s" % sorted(proposals - commits)[:5])
if not re.search(r"zab: \d+ proposals \(sent (\d+) times to learners\), \1 commits, \d+ acks, 0 uncommitted",
                 out):
    failures.append("the summary does not show every proposal committed")

# The election summary has one round per phase of the ensemble (the first start, the leader's
# failover, the old leader's return), each won by the leader srvr reported for that phase; the
# return is a rejoin, at the epoch already at work, not an election.
reported = [int(server.split(".")[1]) for label, server, mode in map(str.split, open(base + ".leaders"))
            if mode == "leader"]
winners = [int(w) for w in re.findall(r"^  (?:election|rejoin) at .*: winner (-?\d+)$", out, re.M)]
kinds = re.findall(r"^  (election|rejoin) at ", out, re.M)
if winners != reported or kinds != ["election", "election", "rejoin"]:
    failures.append("rounds %s won by %s, servers reported leaders %s" % (kinds, winners, reported))

# After each snapshot the stream decodes on: a later packet on the same connection, no junk.
snapshots = [i for i, line in enumerate(lines) if " Snapshot(" in line]
if not snapshots:
    failures.append("no SNAP sync in the capture")
for i in snapshots:
    connection = re.search(r"from=([^,]+), to=([^)]+)\)$", lines[i]).groups()
    after = [l for l in lines[i + 1:] if l.endswith("from=%s, to=%s)" % connection)]
    if not any(re.search(r" (NewLeader|UpToDate|Proposal|Commit|Ping)\(", l) for l in after):
        failures.append("nothing decoded after the snapshot at line %d" % (i + 1))
if "UndecodableBytes" in out or "Gap(" in out:
    failures.append("undecodable bytes or gaps in the quorum traffic")

# A session that moved to another follower is revalidated: the leader's answer is paired.
asked = [l for l in lines if re.search(r" Revalidate\(.*timeout=\d+, from=", l)]
answered = [l for l in lines if re.search(r" Revalidate\(.*valid=True, latency_us=\d+, from=", l)]
if not asked or len(answered) != len(asked):
    failures.append("REVALIDATE: %d asked, %d answered and paired" % (len(asked), len(answered)))

# --stats: proposals counted once however many learners got them, and for each follower (named
# by the sid its FOLLOWERINFO gave) as many ACK latencies as COMMIT latencies, percentiles in order.
distinct = len({zxid for zxid, _, _ in proposals})
stats = run("--stats")
m = re.search(r"^zab statistics for the whole run .* \(([\d.]+) s\): (\d+) proposals, ([\d.]+) proposals/s$", stats,
              re.M)
if not m:
    failures.append("no zab statistics under --stats")
else:
    seconds, count, rate = float(m.group(1)), int(m.group(2)), float(m.group(3))
    if count != distinct:
        failures.append("--stats counts %d proposals, the capture has %d distinct" % (count, distinct))
    if seconds <= 0 or abs(rate - count / seconds) > 0.1:
        failures.append("proposals/s %.1f is not %d / %.3f s" % (rate, count, seconds))
rows = {}
for line in stats.splitlines():
    f = line.split()
    if len(f) == 9 and f[1] in ("ack", "commit") and f[2].isdigit():
        rows[(f[0], f[1])] = [int(f[2])] + [float(x) for x in f[3:]]
followers = sorted({name for name, _ in rows})
if followers != ["server.1", "server.2", "server.3"]:
    failures.append("--stats followers %s, expected server.1 to server.3" % followers)
for name in followers:
    acks, commits = rows.get((name, "ack")), rows.get((name, "commit"))
    if not acks or not commits or acks[0] != commits[0] or acks[0] == 0:
        failures.append("%s: ACK and COMMIT counts differ: %s %s" % (name, acks, commits))
    for row in (acks, commits):
        if row and row[1:] != sorted(row[1:]):
            failures.append("%s: percentiles out of order: %s" % (name, row))
zab = [json.loads(l) for l in run("--stats", "--json").splitlines() if l.startswith('{"kind":"zab_stats"')]
if len(zab) != 1 or zab[0]["proposals"] != distinct or sorted(zab[0]["followers"]) != followers:
    failures.append("--stats --json lacks the zab statistics: %s" % zab)
else:
    for name, figures in zab[0]["followers"].items():
        if figures["commit_latency"]["count"] != rows[(name, "commit")][0]:
            failures.append("%s: JSON and text commit counts differ" % name)

# --omni says which ports it learned from the election's configs; on the same capture without
# the election ports that teach them and with detection off, it warns that it decoded no server-to-server traffic.
taught = subprocess.run([zkdump, *args, "-r", base + ".pcap"], capture_output=True, text=True).stderr
if "--omni learned server 1 (election 3891, ZAB 2891, client 2191)" not in taught or "warning" in taught:
    failures.append("--omni did not name the ports it learned: %s" % taught[-300:])
untaught = subprocess.run([zkdump, "-q", "--omni", "--only-ports", "-r", base + ".pcap"], capture_output=True, text=True).stderr
if "warning: --omni decoded no election or ZAB traffic" not in untaught:
    failures.append("--omni on ports it could not learn gave no warning: %r" % untaught)

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("%d proposals all committed; election winners %s as srvr reported; %d snapshots skipped, "
      "decoding resumed; %d REVALIDATE paired; --stats: %d distinct proposals, followers %s with "
      "ACK and COMMIT percentiles" % (len(proposals), winners, len(snapshots), len(answered), distinct,
                                      followers))
