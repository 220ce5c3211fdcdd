#!/usr/bin/env python3
"""Findings an operator acts on in an incident, on captures of a ZooKeeper 3.8 server made by
scripts/make_captures.sh, checked in the JSON lines, the --stats document and the metrics of a
replay, which must all say the same:
- watch_storms.pcap: 148 sets of /hot each notifying its one watcher are 148 writes, no storm;
  one set of /herd notifying 50 sessions is one storm at the default threshold, named by its
  write (setData, the writer's session, the zxid from its reply);
- silent_session.pcap: a client stopped with SIGSTOP is at risk at 2/3 of its 4 s timeout,
  stamped then and printed before the server closes its connection; that close is its expiry
  (source server_close), once; the worst silence counts it whole;
- oversized_write.pcap: a 1.1 MB create over jute.maxbuffer is named by op, path, session and
  size, alerts as a request, and is unanswered with reason oversized when the server closes;
- etcd_lease_expiry.pcap (scripts/make_etcd_captures.sh): a lease that expired, its key deleted
  by the server, counts as expired once; the one a client revoked does not.
usage: check_findings.py ZKDUMP PCAP_DIR"""
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.request

zkdump, pcaps = sys.argv[1], sys.argv[2]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def run(pcap, *args):
    out = subprocess.run([zkdump, "-q", "--json", *args, "-r", os.path.join(pcaps, pcap)],
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, TZ="UTC")).stdout
    return [json.loads(line) for line in out.splitlines()]


def of_kind(lines, kind):
    return [line for line in lines if line["kind"] == kind]


def packets_in(pcap):
    with open(os.path.join(pcaps, pcap), "rb") as capture:
        capture.read(24)
        count = 0
        while header := capture.read(16):
            capture.seek(struct.unpack("<IIII", header)[2], 1)
            count += 1
        return count


def metrics(pcap, *args):
    """The metrics a replay serves once it has read every packet."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    replay = subprocess.Popen([zkdump, "-q", *args, "-r", os.path.join(pcaps, pcap),
                               "--metrics-listen", "127.0.0.1:%d" % port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wanted = packets_in(pcap)
        for _ in range(200):
            try:
                text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2).read().decode()
                if re.search(r"^zkdump_packets_total %d$" % wanted, text, re.M):
                    return {m.group(1): float(m.group(2))
                            for m in re.finditer(r"^(zkdump_[^ ]+) ([0-9.e+-]+)$", text, re.M)}
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("no metrics with every packet of %s" % pcap)
    finally:
        replay.terminate()
        replay.wait()


# ---- Watch storms ----
lines = run("watch_storms.pcap", "--analyze")
storms = of_kind(lines, "watch_storm")
check(len(storms) == 1, "%d watch storms, 1 expected: %s" % (len(storms), storms))
if storms:
    herd = storms[0]
    check(herd["path"] == "/herd" and herd["notifications"] == 50 and herd["notified_sessions"] == 50
          and herd["follow_up_reads"] == 50 and herd["threshold"] == 20,
          "the herd: %s" % herd)
    sets = [r for r in of_kind(lines, "request") if r.get("op") == "setData" and r.get("path") == "/herd"]
    replies = [r for r in of_kind(lines, "reply") for q in sets
               if (r.get("op"), r["client"], r.get("xid")) == ("setData", q["client"], q["xid"])]
    check(herd.get("op") == "setData" and len(sets) == 1 and len(replies) == 1
          and herd.get("zxid") == replies[0]["zxid"] and herd.get("session") == sets[0].get("session"),
          "the herd's write is not named by its setData: %s, request %s, reply %s" % (herd, sets, replies))
hot_notifications = [e for e in of_kind(lines, "event") if e.get("path") == "/hot"]
stats = of_kind(run("watch_storms.pcap", "--analyze", "--stats"), "analysis_stats")[0]["watches"]
check(stats["storms"] == 1 and stats["largest_fanout"] == 50, "--stats watches: %s" % stats)
hot = [row for row in stats["by_notifications"] if row["path"] == "/hot"]
check(hot and hot[0]["firing_writes"] == len(hot_notifications) == hot[0]["notifications"] >= 140,
      "/hot: %d notifications, --stats %s" % (len(hot_notifications), hot))
served = metrics("watch_storms.pcap", "--analyze")
check(served.get("zkdump_watch_storms_total") == 1
      and served.get("zkdump_watch_fanouts_total") == stats["fanouts"],
      "metrics: storms %s, fanouts %s; --stats %s" % (served.get("zkdump_watch_storms_total"),
                                                     served.get("zkdump_watch_fanouts_total"), stats["fanouts"]))
old_default = of_kind(run("watch_storms.pcap", "--analyze", "--watch-storm", "100"), "watch_storm")
check(not old_default, "a storm past 100 notifications: %s" % old_default)

# ---- A session silent past its timeout on a standalone server ----
lines = run("silent_session.pcap", "--analyze")
at_risk = of_kind(lines, "session_at_risk")
expired = of_kind(lines, "session_expired")
check(len(at_risk) == 1 and len(expired) == 1, "at risk %s, expired %s" % (at_risk, expired))
if at_risk and expired:
    risk, expiry = at_risk[0], expired[0]
    check(risk["silent_us"] == risk["timeout"] * 1000 * 2 // 3,
          "at risk not stamped when it became so: %s" % risk)
    check(expiry["source"] == "server_close" and expiry["session"] == risk["session"]
          and expiry["silent_us"] > expiry["timeout"] * 1000, "expiry: %s" % expiry)
    order = [line["kind"] for line in lines if line["kind"] in ("session_at_risk", "session_expired")
             or (line.get("session") == risk["session"] and line["kind"] in ("request", "reply"))]
    check(order[-2:] == ["session_at_risk", "session_expired"], "order of the silent session's lines: %s" % order)
    report = of_kind(run("silent_session.pcap", "--analyze", "--stats"), "analysis_stats")[0]["session_health"]
    whole = expiry["silent_us"] / (expiry["timeout"] * 1000)
    check(report["at_risk"] == 1 and report["expiries"]["server_close"] == 1
          and abs(report["worst_silence_ratio"] - whole) < 0.002,
          "--stats session_health %s; the silence was %.3f of the timeout" % (report, whole))
    served = metrics("silent_session.pcap", "--analyze")
    check(served.get('zkdump_session_expiries_total{source="server_close"}') == 1
          and served.get("zkdump_sessions_at_risk_total") == 1,
          "metrics: %s" % {k: v for k, v in served.items() if "session" in k})

# ---- A create over jute.maxbuffer ----
lines = run("oversized_write.pcap", "--analyze")
oversized = [line for line in of_kind(lines, "error") if line.get("error") == "OversizedFrame"]
check(len(oversized) == 1 and oversized[0].get("op") == "create" and oversized[0].get("path") == "/big/blob"
      and oversized[0].get("session", "").startswith("0x") and oversized[0].get("length", 0) > 1100 * 1024,
      "oversized frame: %s" % oversized)
alerts = of_kind(lines, "size_alert")
check([(a["what"], a.get("op"), a["path"]) for a in alerts] == [("request", "create", "/big/blob")],
      "size alerts: %s" % alerts)
unanswered = of_kind(lines, "unanswered")
check([(u["op"], u.get("path"), u["reason"]) for u in unanswered] == [("create", "/big/blob", "oversized")],
      "unanswered: %s" % unanswered)

# ---- An etcd lease that expired: the server deleted its key, no client revoked it ----
documents = run("etcd_lease_expiry.pcap", "--etcd-port", "2379", "--stats")
leases = of_kind(documents, "etcd_stats")[0]["leases"]
check(leases["granted"] == 2 and leases["expired_count"] == 1 and leases["revoked"] == 1,
      "etcd leases: %s; one expired, one revoked" % leases)

for failure in failures:
    print("FAIL " + failure)
if failures:
    sys.exit(1)
print("findings: one 50-session storm and no storm on /hot; a silent session at risk, then expired "
      "by the server's close; the oversized create named and unanswered; an etcd lease expired")
