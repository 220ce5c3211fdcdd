#!/usr/bin/env python3
"""Hostile input: bytes anyone on the network could send never crash, hang or bloat zkdump,
and what cannot be decoded is reported. Each case runs zkdump under a time bound and checks
its exit (no signal death), its peak RSS (under 256 MB) and the lines it must print.
usage: check_hostile.py ZKDUMP RECUT_DIR PCAP_DIR [CASE...]"""
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time

zkdump, recut_dir, pcap_dir = sys.argv[1:4]
only = set(sys.argv[4:])
sys.path.insert(0, recut_dir)
import recut  # noqa: E402

RSS_LIMIT_KB = 256 * 1024
TIME_LIMIT_S = 240
CLIENT, SERVER = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2])
rng = random.Random(20261122)


def packet(ts, sport, dport, seq, payload=b"", flags=0x18, ack=0, src=CLIENT, dst=SERVER):
    return {"ts": (1795300000 + ts // 1000000, ts % 1000000), "src": src, "dst": dst, "ipid": 0,
            "sport": sport, "dport": dport, "seq": seq & 0xffffffff, "ack": ack & 0xffffffff, "flags": flags,
            "window": 512, "options": b"", "payload": payload}


def connection(sport, client_chunks, server_chunks, ts=0, close=True, port=2181):
    """A connection with its handshake; chunks alternate client, server."""
    out = [packet(ts, sport, port, 1000, flags=0x02),
           packet(ts + 1, port, sport, 5000, flags=0x12, ack=1001, src=SERVER, dst=CLIENT)]
    cseq, sseq, t = 1001, 5001, ts + 2
    for i in range(max(len(client_chunks), len(server_chunks))):
        if i < len(client_chunks):
            out.append(packet(t, sport, port, cseq, client_chunks[i], ack=sseq))
            cseq += len(client_chunks[i])
        if i < len(server_chunks):
            out.append(packet(t + 1, port, sport, sseq, server_chunks[i], ack=cseq, src=SERVER, dst=CLIENT))
            sseq += len(server_chunks[i])
        t += 2
    if close:
        out.append(packet(t, sport, port, cseq, flags=0x11, ack=sseq))
        out.append(packet(t + 1, port, sport, sseq, flags=0x11, ack=cseq + 1, src=SERVER, dst=CLIENT))
    return out


def frame(body):
    return struct.pack("!i", len(body)) + body


CONNECT = frame(struct.pack("!iqiqi", 0, 0, 30000, 0, 16) + b"\0" * 16)


def get_data(xid, path):
    return frame(struct.pack("!ii", xid, 4) + struct.pack("!i", len(path)) + path + b"\0")


def run(name, pcap, *options):
    # GNU time measures zkdump alone: this script's own children would count the memory of the
    # Python process they were forked from.
    rss_file = pcap + ".rss"
    start = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, zkdump, "-r", pcap, *options],
                            capture_output=True, timeout=TIME_LIMIT_S)
    elapsed = time.monotonic() - start
    with open(rss_file) as f:
        peak = int(f.read().split()[-1])
    # GNU time reports a signal death of its child as "Command terminated by signal N".
    if result.returncode < 0 or b"terminated by signal" in result.stderr:
        sys.exit("FAIL %s: killed by a signal\n%s" % (name, result.stderr.decode()[-2000:]))
    if result.returncode != 0:
        sys.exit("FAIL %s: exit %d\n%s" % (name, result.returncode, result.stderr.decode()[-2000:]))
    if peak > RSS_LIMIT_KB:
        sys.exit("FAIL %s: peak RSS %d KB" % (name, peak))
    print("%s: %.1f s, peak RSS %d MB" % (name, elapsed, peak // 1024))
    return result.stdout.decode("utf-8", "replace"), result.stderr.decode()


def expect(name, text, needle):
    if needle not in text:
        sys.exit("FAIL %s: no %r in the output" % (name, needle))


def case_random_bytes(work):
    chunks = lambda: [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1400))) for _ in range(200)]
    packets = []
    for i in range(20):
        packets += connection(41000 + i, chunks(), chunks(), ts=i * 100000)
    path = os.path.join(work, "random.pcap")
    recut.write_pcap(path, packets)
    out, _ = run("random bytes both ways", path)
    expect("random bytes", out, "UndecodableBytes(")


def check_flipped(work, name, pcap, options, count, min_percent):
    """Flips one bit in one of every 20 data segments of a real capture: no crash, and at least
    min_percent of the messages `count` finds in the clean capture's JSON still decode."""
    packets = recut.read_pcap(pcap)
    flipped = 0
    for p in packets:
        if p["payload"] and rng.random() < 0.05:
            payload = bytearray(p["payload"])
            payload[rng.randrange(len(payload))] ^= 1 << rng.randrange(8)
            p["payload"] = bytes(payload)
            flipped += 1
    path = os.path.join(work, "flipped-" + os.path.basename(pcap))
    recut.write_pcap(path, packets)
    clean = count(subprocess.run([zkdump, "-q", "--json", *options, "-r", pcap], capture_output=True,
                                 check=True).stdout.decode())
    out, _ = run(name, path, "--json", *options)
    decoded = count(out)
    if decoded * 100 < clean * min_percent:
        sys.exit("FAIL %s: %d of %d messages decoded" % (name, decoded, clean))
    print("  %d bits flipped; %d of %d messages still decoded" % (flipped, decoded, clean))


def case_flipped(work):
    count = lambda out: sum(out.count(kind) for kind in ('"kind":"request"', '"kind":"reply"', '"kind":"event"'))
    # Recovery: a flipped bit costs its frame, and at worst the frames its length swallows.
    check_flipped(work, "flipped payload bits", os.path.join(pcap_dir, "pipelined_load.pcap"), (), count, 90)


def case_huge_frame(work):
    filler = bytes(rng.getrandbits(8) for _ in range(60000))
    client = [CONNECT, struct.pack("!i", 0x7fffffff) + b"\x01" * 60000] + [filler] * 1119  # 64 MiB
    client.append(get_data(7, b"/after-the-flood"))
    path = os.path.join(work, "huge.pcap")
    recut.write_pcap(path, connection(42000, client, []))
    out, _ = run("2 GB frame claimed, then 64 MB of filler", path)
    expect("huge frame", out, "OversizedFrame(")
    expect("huge frame", out, "GetDataRequest(xid=7, path=/after-the-flood")


def case_many_connections(work):
    packets = []
    for i in range(200000):
        sport = 1024 + i % 60000
        src = bytes([127, 1 + i // 60000, 0, 1])
        packets.append(packet(i, sport, 2181, 1000, flags=0x02, src=src))
        packets.append(packet(i, sport, 2181, 1001, CONNECT, src=src))
    path = os.path.join(work, "connections.pcap")
    recut.write_pcap(path, packets)
    out, err = run("200,000 connections never closed", path, "-q")
    evicted = out.count("ConnectionEvicted(reason=capacity")
    if evicted != 200000 - 65536:
        sys.exit("FAIL connections: %d evictions reported, expected %d" % (evicted, 200000 - 65536))
    print("  %d evictions reported" % evicted)


def case_escapes(work):
    hostile = b"/\x1b[2J\x1b]0;owned\x07\nFAKE 00:00:00:000000 CloseRequest(client=1.2.3.4:5)\r\xc2\x9b31m"
    path = os.path.join(work, "escapes.pcap")
    recut.write_pcap(path, connection(43000, [CONNECT, get_data(1, hostile)], []))
    for options in ((), ("--json",), ("-v",)):
        out, _ = run("control bytes in a path %s" % " ".join(options), path, *options)
        if any(c in out for c in "\x1b\x07\r\x9b") or "\nFAKE" in out:
            sys.exit("FAIL escapes: raw control bytes or a fake line in the output:\n%r" % out)
        expect("escapes", out, "\\u001b[2J" if "--json" in options else "\\x1b[2J")


def case_forged_fields(work):
    # Anyone who can create a znode chooses its name: it must not read as another field, and a
    # bidirectional override must not reorder what follows it on the terminal.
    forged, reversed_ = b"/a, client=6.6.6.6:1", "/b\u202e=tneilc".encode()
    path = os.path.join(work, "forged.pcap")
    recut.write_pcap(path, connection(43100, [CONNECT, get_data(1, forged), get_data(2, reversed_)], []))
    out, _ = run("a path that forges fields", path)
    expect("forged fields", out, "path='/a, client=6.6.6.6:1', watch=False")
    expect("forged fields", out, "path='/b\\xe2\\x80\\xae=tneilc'")
    unquoted = [re.sub(r"'(?:[^'\\\\]|\\\\.)*'", "''", line) for line in out.splitlines()]
    if "\u202e" in out or any(line.count(" client=") > 1 for line in unquoted):
        sys.exit("FAIL forged fields: a raw override or a second client= field:\n%s" % out)
    out, _ = run("a path that forges fields --json", path, "--json")
    expect("forged fields", out, '"path":"/b\\u202e=tneilc"')


QUORUM_OPTIONS = ("--election-port", "3888", "--quorum-port", "2888")


def case_quorum_random(work):
    chunks = lambda: [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1400))) for _ in range(100)]
    packets = []
    for i, port in enumerate([3888, 2888] * 5):
        packets += connection(44000 + i, chunks(), chunks(), ts=i * 100000, port=port)
    path = os.path.join(work, "quorum-random.pcap")
    recut.write_pcap(path, packets)
    out, _ = run("random bytes on the election and ZAB ports", path, "--json", *QUORUM_OPTIONS)
    for proto in ("election", "zab"):
        expect("quorum random", out, '"kind":"error","proto":"%s","error":"UndecodableBytes"' % proto)


def case_quorum_flipped(work):
    base = os.path.join(pcap_dir, "quorum_failover")
    count = lambda out: sum(1 for line in out.splitlines()
                            if '"kind":"message"' in line)
    check_flipped(work, "flipped bits in quorum traffic", base + ".pcap", open(base + ".args").read().split(),
                  count, 80)


def case_quorum_huge(work):
    # A PROPOSAL claiming 2 GB of data, 64 MB of filler, then a PING that must still decode.
    filler = bytes(rng.getrandbits(8) for _ in range(60000))
    leader = [struct.pack("!iqi", 2, 1, 0x7fffffff) + b"\x01" * 60000] + [filler] * 1119
    leader.append(struct.pack("!iqii", 5, 0x100000007, -1, 0))
    path = os.path.join(work, "quorum-huge.pcap")
    recut.write_pcap(path, connection(45000, [], leader, port=2888))
    out, _ = run("ZAB packet claiming 2 GB, then 64 MB of filler", path, *QUORUM_OPTIONS)
    expect("quorum huge", out, "UndecodableBytes(")
    expect("quorum huge", out, "Ping(zxid=0x100000007")


CASES = {"random": case_random_bytes, "flipped": case_flipped, "huge": case_huge_frame,
         "connections": case_many_connections, "escapes": case_escapes, "forged": case_forged_fields,
         "quorum-random": case_quorum_random, "quorum-flipped": case_quorum_flipped,
         "quorum-huge": case_quorum_huge}
with tempfile.TemporaryDirectory() as work:
    for name, case in CASES.items():
        if not only or name in only:
            case(work)
print("hostile input: no crash, no hang, RSS under 256 MB, every problem reported")
