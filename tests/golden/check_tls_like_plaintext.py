#!/usr/bin/env python3
"""Decrypted TLS decodes exactly as plaintext does: the kazoo_all_ops.py run over TLS 1.3 in
zk_tls.pcap (its first three connections) gives, message by message, what kazoo_all_ops.pcap
gives in the clear, but for what differs between two runs (times, sessions, zxids, addresses)
and whoAmI, which names the client certificate too.
usage: check_tls_like_plaintext.py ZKDUMP PCAPS"""
import collections
import json
import subprocess
import sys

zkdump, pcaps = sys.argv[1], sys.argv[2]
RUN_SPECIFIC = {"ts", "client", "server", "session", "zxid", "latency_us", "tls", "ctime", "mtime"}


def fail(message):
    sys.exit("FAIL: " + message)


def messages_by_connection(name):
    args = open("%s/%s.args" % (pcaps, name)).read().split() if name.endswith("_tls") else []
    out = subprocess.run([zkdump, "--json", "-q", *args, "-r", "%s/%s.pcap" % (pcaps, name)],
                         check=True, capture_output=True, text=True).stdout
    connections = collections.OrderedDict()
    for line in out.splitlines():
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


check_zk_tls()
