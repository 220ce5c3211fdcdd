#!/usr/bin/env python3
"""Checks the decoding of a real ensemble's failover capture (scripts/make_quorum_capture.sh):
every PROPOSAL has its COMMIT, the election summary names the leaders the servers' own `srvr`
reported, and decoding resumes cleanly after each snapshot.
usage: check_quorum.py ZKDUMP CAPTURE_BASE   (CAPTURE_BASE.pcap, .args, .leaders)"""
import re
import subprocess
import sys

zkdump, base = sys.argv[1], sys.argv[2]
args = open(base + ".args").read().split()
out = subprocess.run([zkdump, "-q", *args, "-r", base + ".pcap"], check=True, capture_output=True,
                     text=True, env={"TZ": "UTC"}).stdout
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
if not re.search(r"zab: (\d+) proposals, \1 commits, \d+ acks, 0 uncommitted", out):
    failures.append("the summary does not show every proposal committed")

# The election summary's winners, round by round, are the leaders srvr reported.
reported = []
for line in open(base + ".leaders"):
    label, server, mode = line.split()
    if mode == "leader" and int(server.split(".")[1]) not in reported:
        reported.append(int(server.split(".")[1]))
winners = [int(w) for w in re.findall(r"^  round \d+: winner (-?\d+)$", out, re.M)]
if winners != reported:
    failures.append("election winners %s, servers reported leaders %s" % (winners, reported))

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

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("%d proposals all committed; election winners %s as srvr reported; %d snapshots skipped, "
      "decoding resumed" % (len(proposals), winners, len(snapshots)))
