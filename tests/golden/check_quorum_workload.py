#!/usr/bin/env python3
"""pcaps/quorum_workload.pcap holds what scripts/make_quorum_workload.sh says it did
(quorum_workload.sent.json): every writer's writes, through the leader and each follower; 50
sessions notified of one write to /storm, each reading it again; the expired session closed by
a closeSession proposal and its reconnect refused; the 700 KB create. NAME names another capture
of the same workload (zab_tls: the servers speak TLS to each other).
usage: check_quorum_workload.py ZKDUMP PCAP_DIR [NAME]"""
import collections
import json
import os
import subprocess
import sys

zkdump, pcaps = sys.argv[1], sys.argv[2]
name = sys.argv[3] if len(sys.argv) > 3 else "quorum_workload"
base = os.path.join(pcaps, name)
sent = json.load(open(base + ".sent.json"))
args = open(base + ".args").read().split()
lines = [json.loads(line) for line in subprocess.run(
    [zkdump, "-q", "--json", *args, "-r", base + ".pcap"], capture_output=True, text=True, check=True).stdout.splitlines()]
failures = []
WRITES = {"create", "delete", "setData"}

by_session = collections.Counter(m["session"] for m in lines
                                 if m["kind"] == "reply" and m.get("op") in WRITES and m.get("err") == 0)
for writer in sent["writers"]:
    if by_session[writer["session"]] != writer["writes"]:
        failures.append("writer on server %d: %d writes answered, %d sent"
                        % (writer["server"], by_session[writer["session"]], writer["writes"]))
slow = sent["slow_writes"]
if by_session[slow["session"]] != slow["writes"]:
    failures.append("slow follower's client: %d writes answered, %d sent" % (by_session[slow["session"]], slow["writes"]))

storm = sent["watch_storm"]
notified = {m["session"] for m in lines if m["kind"] == "event" and m["path"] == storm["path"]}
rereads = collections.Counter(m["session"] for m in lines
                              if m["kind"] == "request" and m.get("op") == "getData" and m.get("path") == storm["path"])
if len(notified) != storm["watchers"]:
    failures.append("%d sessions notified on %s, %d watched" % (len(notified), storm["path"], storm["watchers"]))
if sum(1 for session in notified if rereads[session] == 2) != storm["rereads"]:
    failures.append("not every notified session read %s again" % storm["path"])

expired = sent["expired_session"]
closed = [m for m in lines if m.get("txn") == "closeSession" and m.get("session") == expired]
refused = [m for m in lines if m["kind"] == "reply" and m.get("op") == "connect" and m.get("expired")]
if not closed:
    failures.append("no closeSession proposal for the expired session %s" % expired)
if len(refused) != 1:
    failures.append("%d reconnects refused as expired, 1 expected" % len(refused))

big = sent["large_znode"]
if not any(m["kind"] == "request" and m.get("op") == "create" and m.get("path") == big["path"]
           and m.get("data_size") == big["bytes"] for m in lines):
    failures.append("no %d-byte create of %s" % (big["bytes"], big["path"]))

for failure in failures:
    print("FAIL " + failure)
if failures:
    sys.exit(1)
print(name + ": writes through the leader and both followers, a %d-session watch storm, the expiry "
      "of %s and a %d-byte znode are all in the capture" % (storm["watchers"], expired, big["bytes"]))
