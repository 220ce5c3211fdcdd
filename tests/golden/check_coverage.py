#!/usr/bin/env python3
"""Between them, the bundled captures hold every opcode the 3.8 server accepts from clients
(deleteContainer is the server's own; check comes only inside a multi) and the failures the
issue names, and each decodes.
usage: check_coverage.py ZKDUMP PCAP..."""
import json
import subprocess
import sys

ALL_OPS = {"create", "delete", "exists", "getData", "setData", "getACL", "setACL", "getChildren", "sync",
           "ping", "getChildren2", "check", "multi", "create2", "reconfig", "checkWatches", "removeWatches",
           "createContainer", "createTTL", "multiRead", "auth", "setWatches", "sasl", "getEphemerals",
           "getAllChildrenNumber", "setWatches2", "addWatch", "whoAmI", "closeSession", "connect"}
FAILURES = {"NoNode", "NodeExists", "BadVersion", "NotEmpty", "NoAuth", "AuthFailed"}

zkdump, pcaps = sys.argv[1], sys.argv[2:]
requested, replied, failures, events = set(), set(), set(), set()
multi_failed = False
for pcap in pcaps:
    out = subprocess.run([zkdump, "-q", "-p", "--json", "-r", pcap], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message["kind"] == "request":
            requested.add(message["op"])
            requested.update(op["op"] for op in message.get("ops", []))
        elif message["kind"] == "reply":
            replied.add(message["op"])
            replied.update(result["op"] for result in message.get("results", []) if result["op"] != "error")
            if message.get("err", 0) != 0:
                failures.add(message["err_name"])
            if message["op"] == "multi" and any(r.get("err", 0) != 0 for r in message.get("results", [])):
                multi_failed = True
        elif message["kind"] == "event":
            events.add(message["event"])
problems = []
for what, seen in (("requests", requested), ("replies", replied)):
    if ALL_OPS - seen:
        problems.append("no %s for %s" % (what, sorted(ALL_OPS - seen)))
if FAILURES - failures:
    problems.append("no failures %s" % sorted(FAILURES - failures))
if not multi_failed:
    problems.append("no failed multi")
if not {"NodeCreated", "NodeDataChanged", "NodeChildrenChanged"} <= events:
    problems.append("watch events seen: %s" % sorted(events))
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("%d ops requested and answered, failures %s, events %s" % (len(requested), sorted(failures), sorted(events)))
