#!/usr/bin/env python3
"""Protocol detection: traffic is found by what its bytes say, on any port, and nothing else is
taken for it.

- Every bundled capture whose .args name ports decodes to the same messages with those port
  options removed (ServerDiscovered lines aside; lines of a connection detection held for a few
  packets may come later, so messages are compared as a multiset).
- any_port.pcap (scripts/make_detection_capture.sh): ZooKeeper on 22181 and etcd on 22379 are
  found; HTTP (28080), Redis (26379), TLS (28443) and SSH (28022) beside them are not decoded.
- The same capture joined mid-way (recut.py midstream) still finds both, and so does the
  failover ensemble's joined mid-way: its client ports and its leaders' ZAB ports, by content.
- quorum_failover with no option at all: the ensemble's client and election ports
  (2191-2193, 3891-3893) and the ZAB ports of the servers that led (from 2891-2893) are found.
- --only-ports decodes none of any_port.pcap: the old behaviour, for whoever wants it.

usage: check_detection.py ZKDUMP PCAP_DIR RECUT_PY"""
import collections
import json
import os
import subprocess
import sys
import tempfile

zkdump, pcaps, recut = sys.argv[1:4]
PORT_OPTIONS = {"--port", "--election-port", "--quorum-port", "--etcd-port"}
failures = []


def run(pcap, *options):
    result = subprocess.run([zkdump, "-q", *options, "-r", pcap], capture_output=True, text=True,
                            env={**os.environ, "TZ": "UTC"}, check=True)
    return result.stdout.splitlines()


def messages(lines):
    return collections.Counter(line for line in lines if "ServerDiscovered" not in line)


def without_ports(args):
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in PORT_OPTIONS:
            skip = True
        else:
            kept.append(arg)
    return kept


def servers(pcap, *options):
    found = {}
    for line in run(pcap, "--json", *options):
        message = json.loads(line)
        if message["kind"] == "server":
            found[int(message["server"].rsplit(":", 1)[1])] = (message["proto"], message["evidence"])
    return found


# Named ports or not: the same messages.
for name in sorted(os.listdir(pcaps)):
    if not name.endswith(".args"):
        continue
    base = os.path.join(pcaps, name[:-len(".args")])
    with open(base + ".args") as args_file:
        args = args_file.read().split()
    for mode in ([], ["--json"]):
        named = messages(run(base + ".pcap", *mode, *args))
        found = messages(run(base + ".pcap", *mode, *without_ports(args)))
        if named != found:
            failures.append("%s%s: %d messages differ with the ports unnamed, e.g. %s" % (
                name[:-5], " --json" if mode else "", sum(((named - found) + (found - named)).values()),
                list(((named - found) + (found - named)).keys())[:2]))

# Unrelated traffic is never taken for ZooKeeper or etcd.
any_port = os.path.join(pcaps, "any_port.pcap")
found = servers(any_port)
if {port: proto for port, (proto, _) in found.items()} != {22181: "zk", 22379: "etcd"}:
    failures.append("any_port: servers found %s, expected zk on 22181 and etcd on 22379" % found)
for line in run(any_port, "--json"):
    message = json.loads(line)
    ports = {int(message[key].rsplit(":", 1)[1]) for key in ("client", "server") if key in message}
    if message["kind"] != "server" and not ports & {22181, 22379}:
        failures.append("any_port: a line not about ZooKeeper or etcd: %s" % line[:200])
        break
if run(any_port, "--only-ports"):
    failures.append("any_port: --only-ports decoded traffic on ports nobody named")
summary = subprocess.run([zkdump, "-r", any_port], capture_output=True, text=True).stderr
other = [line for line in summary.splitlines() if line.startswith("zkdump: detection:")]
if not other or " 0 other TCP" in other[0]:
    failures.append("any_port: the summary counts no other TCP: %s" % other)

# Joined mid-way: every family still found.
with tempfile.TemporaryDirectory() as work:
    midstream = os.path.join(work, "midstream.pcap")
    subprocess.run([sys.executable, recut, "midstream", any_port, midstream], check=True)
    found = {port: proto for port, (proto, _) in servers(midstream).items()}
    if found.get(22181) != "zk" or found.get(22379) != "etcd" or set(found) - {22181, 22379}:
        failures.append("any_port joined mid-way: servers found %s" % found)

# The ensemble joined mid-way: its clients and its ZAB found from frames alone, its ports from a
# config only once an election notification carried one.
with tempfile.TemporaryDirectory() as work:
    midstream = os.path.join(work, "midstream.pcap")
    subprocess.run([sys.executable, recut, "midstream", os.path.join(pcaps, "quorum_failover.pcap"),
                    midstream], check=True)
    found = servers(midstream)
    protos = {proto for proto, _ in found.values()}
    evidence = {e for _, e in found.values()}
    if not {"zk", "zab"} <= protos or "named_port" in evidence or (
            "config" in evidence and "notification_config" not in evidence):
        failures.append("quorum_failover joined mid-way: servers found %s" % found)

# A whole ensemble on ports no option names.
failover = os.path.join(pcaps, "quorum_failover")
with open(failover + ".args") as args_file:
    named_run = [json.loads(line) for line in run(failover + ".pcap", "--json", *args_file.read().split())]
# ZAB flows only to the servers that led; --omni learned their ports from the configs.
leaders = {int(m["to"].rsplit(":", 1)[1]) for m in named_run if m.get("proto") == "zab" and "to" in m} & {
    2891, 2892, 2893}
found = servers(failover + ".pcap")
expected = {**{2190 + n: "zk" for n in (1, 2, 3)}, **{3890 + n: "election" for n in (1, 2, 3)},
            **{port: "zab" for port in leaders}}
if {port: proto for port, (proto, _) in found.items()} != expected:
    failures.append("quorum_failover: servers found %s, expected %s" % (found, expected))

for failure in failures:
    print("FAIL: " + failure)
if failures:
    sys.exit(1)
print("every capture decodes the same with its ports unnamed; any_port's ZooKeeper and etcd "
      "found, from the start and mid-way, and nothing else; the ensemble's ports found")
