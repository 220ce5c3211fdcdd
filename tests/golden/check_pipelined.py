#!/usr/bin/env python3
"""On the pipelined load capture, every request the generating script sent must be printed
and paired with its reply, with nothing unanswered.
usage: check_pipelined.py ZKDUMP PCAP SENT_JSON"""
import collections
import json
import subprocess
import sys

zkdump, pcap, sent_path = sys.argv[1:4]
sent = json.load(open(sent_path))["sent"]
lines = subprocess.run([zkdump, "-q", "--json", "-r", pcap], check=True, capture_output=True,
                       text=True).stdout.splitlines()
requests, replies, kinds = collections.Counter(), collections.Counter(), collections.Counter()
for line in lines:
    message = json.loads(line)
    kinds[message["kind"]] += 1
    if message["kind"] == "request":
        requests[message["op"]] += 1
    elif message["kind"] == "reply":
        replies[message["op"]] += 1
        if "latency_us" not in message:
            sys.exit("reply without a paired request: " + line)
failures = []
if dict(requests) != sent:
    failures.append("requests printed %s != sent %s" % (dict(requests), sent))
if replies != requests:
    failures.append("replies %s != requests %s" % (dict(replies), dict(requests)))
if "unknown" in replies:  # a reply to an xid no request was seen for
    failures.append("%d replies to unknown requests" % replies["unknown"])
for kind in ("unanswered", "error"):
    if kinds[kind]:
        failures.append("%d %s lines" % (kinds[kind], kind))
if failures:
    sys.exit("FAIL: " + "; ".join(failures))
print("%d requests sent, %d printed and paired, 0 unanswered" % (sum(sent.values()), sum(requests.values())))
