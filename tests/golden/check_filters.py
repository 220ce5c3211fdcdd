#!/usr/bin/env python3
"""Field filters on real captures select exactly the exchanges their definition names, a request
with its reply: --path, --op, --session, --client, --errors, --slower-than, repeated (OR) and
combined (AND); they scope --stats alike; conflicting uses are refused.
usage: check_filters.py ZKDUMP PCAP_DIR"""
import collections
import json
import subprocess
import sys

zkdump, pcaps = sys.argv[1:3]
failures = []


def lines(pcap, *options):
    out = subprocess.run([zkdump, "-q", "--json", "-r", pcap, *options], check=True, capture_output=True,
                         text=True).stdout
    # A server found is said once, filters or not: not an exchange.
    return [m for m in map(json.loads, out.splitlines()) if m["kind"] != "server"]


def exchanges(messages):
    """Requests with their replies as printed (the reply right after its request), and the rest."""
    found, pending = [], {}
    for message in messages:
        key = (message["client"], message.get("xid", 0 if message["op"] == "connect" else None), message["op"])
        if message["kind"] == "request":
            pending[key] = {"request": message, "reply": None}
            found.append(pending[key])
        elif message["kind"] in ("reply", "unanswered") and key in pending:
            pending.pop(key)["reply"] = message
        else:
            found.append({"request": None, "reply": message})
    return found


def signature(exchange):
    parts = [exchange[part] for part in ("request", "reply") if exchange[part] is not None]
    return tuple((m["kind"], m["client"], m.get("xid"), m["op"], m["ts"]) for m in parts)


def expect(pcap, options, keep):
    every = exchanges(lines(pcap))
    wanted = [signature(e) for e in every if e["request"] is not None and keep(e)]
    got = exchanges(lines(pcap, *options))
    unpaired = [e for e in got if e["request"] is not None and e["reply"] is None]
    if unpaired:
        failures.append("%s: requests printed without their reply: %s" % (" ".join(options), unpaired[:2]))
    got_sigs = [signature(e) for e in got if e["request"] is not None]
    if got_sigs != wanted or not wanted:
        failures.append("%s: %d exchanges, expected %d" % (" ".join(options), len(got_sigs), len(wanted)))
    return got


def err(e):
    """A reply's error; never answered counts as a failure."""
    if e["reply"] is None:
        return 0
    if e["reply"]["kind"] == "unanswered":
        return -1
    code = e["reply"].get("err", 0)
    return 0 if e["reply"].get("op") == "exists" and code == -101 else code  # an answer, not an error


def waited(e):
    reply = e["reply"]
    return reply.get("latency_us", reply.get("waited_us", -1)) if reply else -1


all_ops = pcaps + "/kazoo_all_ops.pcap"
load = pcaps + "/pipelined_load.pcap"


def path_of(exchange):
    """The path a request names; for multi and multiRead, the first of its operations'."""
    request = exchange["request"]
    operations = request.get("ops") or [{}]
    return request.get("path") or operations[0].get("path") or ""


expect(all_ops, ["--path", "/zkdump/a"], lambda e: path_of(e).startswith("/zkdump/a"))
expect(all_ops, ["--op", "getData", "--op", "exists"], lambda e: e["request"]["op"] in ("getData", "exists"))
expect(all_ops, ["--path", "/zkdump/a", "--op", "setData"],
       lambda e: e["request"]["op"] == "setData" and path_of(e).startswith("/zkdump/a"))
expect(all_ops, ["--errors"], lambda e: err(e) != 0)
got = expect(pcaps + "/reconnect.pcap", ["--errors"], lambda e: err(e) != 0)
if not any(e["reply"] and e["reply"]["kind"] == "unanswered" for e in got):
    failures.append("--errors leaves out the requests never answered")
expect(all_ops, ["--errors", "--op", "multi"], lambda e: err(e) != 0 and e["request"]["op"] == "multi")
expect(load, ["--slower-than", "20ms"], lambda e: waited(e) >= 20000)
expect(load, ["--slower-than", "20ms", "--op", "setData"],
       lambda e: waited(e) >= 20000 and e["request"]["op"] == "setData")
sessions = collections.Counter(m["session"] for m in lines(load) if m["kind"] == "request" and "session" in m)
session = sorted(sessions)[1]


def of_session(exchange, session):
    """A request of that session, or the connect whose reply opened it."""
    opened = exchange["request"]["op"] == "connect" and (exchange["reply"] or {}).get("session")
    return session in (exchange["request"].get("session"), opened)


expect(load, ["--session", session], lambda e: of_session(e, session))
expiry = pcaps + "/session_expiry.pcap"
expired = "0x" + "%x" % min(int(m["session"], 16) for m in lines(expiry) if m["op"] == "connect"
                            and m["kind"] == "reply" and m["session"] != "0x0")
expect(expiry, ["--session", expired], lambda e: of_session(e, expired))
expect(expiry, ["--session", expired, "--errors"], lambda e: of_session(e, expired) and err(e) != 0)
clients = sorted({m["client"] for m in lines(load)})
expect(load, ["--client", clients[0], "--client", clients[2]], lambda e: e["request"]["client"] in clients[0:3:2])
host = clients[0].rsplit(":", 1)[0]
expect(load, ["--client", host, "--op", "create"], lambda e: e["request"]["op"] == "create")

# A watch event passes the path, op and client filters that name it; an error or latency
# filter leaves it out.
events = lambda *options: [m for m in lines(all_ops, *options) if m["kind"] == "event"]
if len(events("--path", "/zkdump")) != len(events()) or events("--errors") or not events():
    failures.append("events through the filters: %d of %d with --path /zkdump, %d with --errors"
                    % (len(events("--path", "/zkdump")), len(events()), len(events("--errors"))))

# --stats counts what the filters select, and only that.
stats = json.loads(subprocess.run([zkdump, "-q", "--json", "--stats", "--errors", "-r", all_ops], check=True,
                                  capture_output=True, text=True).stdout.splitlines()[0])
failed = collections.Counter(e["request"]["op"] for e in exchanges(lines(all_ops, "--errors"))
                             if e["request"] is not None)
counted = {op: entry["count"] for op, entry in stats["op_stats"].items()}
if counted != dict(failed) or any(entry["errors"] != entry["count"] for entry in stats["op_stats"].values()):
    failures.append("--stats --errors counts %s, the failed exchanges are %s" % (counted, dict(failed)))

for options in (["--errors", "--unpaired"], ["--slower-than", "1s", "--count-requests", "5"],
                ["--op", "getdata"], ["--client", "not-an-ip"], ["--session", "0xzz"], ["--slower-than", "fast"]):
    refused = subprocess.run([zkdump, "-r", all_ops, *options], capture_output=True, text=True)
    if refused.returncode != 1 or not refused.stderr.startswith("zkdump: "):
        failures.append("%s: exit %d, %r" % (" ".join(options), refused.returncode, refused.stderr[:80]))

if failures:
    sys.exit("FAIL:\n  " + "\n  ".join(failures))
print("filters select exactly the exchanges they name, request with reply, and scope --stats")
