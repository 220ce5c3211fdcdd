#!/usr/bin/env python3
"""Decrypted TLS decodes exactly as plaintext does: the kazoo_all_ops.py run over TLS 1.3 in
zk_tls.pcap (its first three connections) gives, message by message, what kazoo_all_ops.pcap
gives in the clear, but for what differs between two runs (times, sessions, zxids, addresses)
and whoAmI, which names the client certificate too. And quorum_workload.py's run on an ensemble
whose servers speak TLS to each other (zab_tls.pcap: TLS 1.2 and 1.3, new and resumed sessions)
gives the ZAB messages its run in the clear gives (quorum_workload.pcap), every one decrypted,
and the same election.
usage: check_tls_like_plaintext.py ZKDUMP PCAPS"""
import collections
import json
import subprocess
import sys

zkdump, pcaps = sys.argv[1], sys.argv[2]
RUN_SPECIFIC = {"ts", "client", "server", "session", "zxid", "latency_us", "tls", "ctime", "mtime"}


def fail(message):
    sys.exit("FAIL: " + message)


def decoded(name, *options):
    args = open("%s/%s.args" % (pcaps, name)).read().split() if name != "kazoo_all_ops" else []
    return subprocess.run([zkdump, "-q", *options, *args, "-r", "%s/%s.pcap" % (pcaps, name)],
                          check=True, capture_output=True, text=True).stdout


def messages_by_connection(name):
    connections = collections.OrderedDict()
    for line in decoded(name, "--json").splitlines():
        message = json.loads(line)
        if message.get("proto") == "zk" and message["kind"] != "server":
            key = (message.get("client"), message.get("server"))
            connections.setdefault(key, []).append(message)
    return connections


def comparable(value):
    """The value without what differs between two runs of one workload."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items() if key not in RUN_SPECIFIC}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def check_zk_tls():
    plain = list(messages_by_connection("kazoo_all_ops").values())
    tls = list(messages_by_connection("zk_tls").values())[:len(plain)]
    if not plain or len(tls) < len(plain):
        fail("%d connections in the clear, %d decrypted" % (len(plain), len(tls)))
    compared = 0
    for plain_messages, tls_messages in zip(plain, tls):
        if not all(message.get("tls") for message in tls_messages):
            fail("a message of the TLS run not marked tls")
        if len(plain_messages) != len(tls_messages):
            fail("%d messages in the clear, %d decrypted" % (len(plain_messages), len(tls_messages)))
        for clear, decrypted in zip(map(comparable, plain_messages), map(comparable, tls_messages)):
            if decrypted.get("op") == "whoAmI" and decrypted["kind"] == "reply":
                certificate = [who for who in decrypted["ids"] if who["scheme"] == "x509"]
                if certificate != [{"scheme": "x509", "user": "CN=client"}]:
                    fail("whoAmI over TLS names no client certificate: %s" % decrypted)
                decrypted["ids"].remove(certificate[0])
            if clear != decrypted:
                fail("decrypted %s\n  in the clear %s" % (decrypted, clear))
            compared += 1
    print("zk_tls: %d messages of %d connections decode as in the clear" % (compared, len(plain)))


def quorum_records(name):
    records = [json.loads(line) for line in decoded(name, "--json").splitlines()]
    zab = [m for m in records if m.get("proto") == "zab" and m["kind"] == "message"]
    election = [m for m in records if m.get("proto") == "election" and m["kind"] == "message"]
    summary = next(m for m in records if m["kind"] == "quorum_summary")
    sessions = {(m["tls_version"], m["resumed"]) for m in records
                if m.get("proto") == "tls" and m["name"] == "Session" and m["decrypted"]}
    return zab, election, summary, sessions


def zab_content(messages):
    """What a ZAB message carries that two runs of one workload share."""
    return collections.Counter((m["name"], m.get("type"), m.get("txn"), m.get("path"), m.get("data_size"))
                               for m in messages)


def check_zab_tls():
    plain_zab, plain_election, _, _ = quorum_records("quorum_workload")
    zab, election, summary, sessions = quorum_records("zab_tls")
    expected = {(version, resumed) for version in ("TLS1.2", "TLS1.3") for resumed in (False, True)}
    if sessions != expected:
        fail("decrypted sessions (version, resumed): %s, expected %s" % (sorted(sessions), sorted(expected)))
    if not all(m.get("tls") for m in zab + election):
        fail("a ZAB or election message of the TLS ensemble not marked tls")
    if not election or not plain_election:
        fail("%d election messages decrypted, %d in the clear" % (len(election), len(plain_election)))
    difference = zab_content(zab)
    difference.subtract(zab_content(plain_zab))
    if any(difference.values()):
        fail("ZAB over TLS differs from ZAB in the clear (decrypted minus clear): %s"
             % {key: count for key, count in difference.items() if count})
    leader = json.load(open("%s/zab_tls.sent.json" % pcaps))["leader"]
    if [e["winner"] for e in summary["elections"]] != [leader]:
        fail("elections over TLS won by %s, the ensemble's leader was %d"
             % ([e["winner"] for e in summary["elections"]], leader))
    tls_line = next(line for line in decoded("zab_tls", "--stats").splitlines() if line.startswith("tls:"))
    if " 0 not decrypted" not in tls_line:
        fail("zab_tls --stats: " + tls_line)
    print("zab_tls: %d ZAB messages decode as in the clear, %d election messages, leader %d elected; %s"
          % (len(zab), len(election), leader, tls_line))


check_zk_tls()
check_zab_tls()
