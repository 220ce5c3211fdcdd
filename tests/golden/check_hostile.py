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
# Under AddressSanitizer the peak is not zkdump's own: shadow memory and redzones double it, and
# freed memory waits in ASan's quarantine (256 MB by default) to catch uses after free.
if os.environ.get("ZKDUMP_SANITIZED") == "1":
    RSS_LIMIT_KB = 2 * RSS_LIMIT_KB + 256 * 1024
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
    out, _ = run("ZAB packet claiming 2 GB, then 64 MB of filler", path, *QUORUM_OPTIONS, "-p")
    expect("quorum huge", out, "UndecodableBytes(")
    expect("quorum huge", out, "Ping(zxid=0x100000007")


ETCD_OPTIONS = ("--etcd-port", "2379")
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, CONTINUATION = 0, 1, 4, 9
END_STREAM, END_HEADERS = 0x1, 0x4


def h2_frame(kind, flags, stream, payload):
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream) + payload


def hpack_int(value, prefix_bits, first_byte):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte | value])
    out, value = bytearray([first_byte | limit]), value - limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + bytes([value]))


def hpack_literal(name, value, indexed=False):
    """A field with a literal name and value, not Huffman-coded; `indexed` adds it to the table."""
    string = lambda s: hpack_int(len(s), 7, 0) + s
    return (b"\x40" if indexed else b"\x00") + string(name) + string(value)


def grpc_headers(path):
    return b"".join(hpack_literal(n, v) for n, v in ((b":method", b"POST"), (b":scheme", b"http"),
                                                     (b":path", path), (b":authority", b"etcd"),
                                                     (b"content-type", b"application/grpc")))


def varint(value):
    out = bytearray()
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + bytes([value]))


def grpc_message(body):
    return b"\0" + struct.pack("!I", len(body)) + body


def put_request(key):
    return b"\x0a" + varint(len(key)) + key + b"\x12\x01v"


def grpc_call(stream, path, body):
    """HEADERS, then the message in DATA frames of the initial 16 KiB at most."""
    message, frames = grpc_message(body), []
    for at in range(0, len(message), 16384):
        last = at + 16384 >= len(message)
        frames.append(h2_frame(DATA, END_STREAM if last else 0, stream, message[at:at + 16384]))
    return h2_frame(HEADERS, END_HEADERS, stream, grpc_headers(path)) + b"".join(frames)


PUT = b"/etcdserverpb.KV/Put"
SETTINGS_FRAME = h2_frame(SETTINGS, 0, 0, b"")


def etcd_run(work, name, filename, client_chunks, server_settings=SETTINGS_FRAME):
    """A connection from its preface: the server's SETTINGS first, then the client's chunks."""
    path = os.path.join(work, filename)
    recut.write_pcap(path, connection(46000, [PREFACE + SETTINGS_FRAME] + list(client_chunks),
                                      [server_settings], port=2379))
    return run(name, path, *ETCD_OPTIONS)


def case_etcd_random(work):
    chunks = lambda: [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1400))) for _ in range(100)]
    packets = []
    for i in range(10):
        # Half open with the HTTP/2 preface, then random frames; half are random from the start.
        first = [PREFACE] if i % 2 else []
        packets += connection(47000 + i, first + chunks(), chunks(), ts=i * 100000, port=2379)
    path = os.path.join(work, "etcd-random.pcap")
    recut.write_pcap(path, packets)
    out, _ = run("random bytes on the etcd port", path, "--json", *ETCD_OPTIONS)
    expect("etcd random", out, '"proto":"etcd"')
    expect("etcd random", out, '"kind":"error"')


def case_etcd_hpack(work):
    # The peer allows a 4 GiB table (and 16 MB frames), the encoder asks for it, then fills it
    # with 16 KB fields:
    # zkdump's copy of the table stays at its cap, and a later call still decodes.
    big_table = h2_frame(SETTINGS, 0, 0, struct.pack("!HIHI", 1, 0xffffffff, 5, 0xffffff))
    block = hpack_int(0xffffffff, 5, 0x20) + b"".join(
        hpack_literal(b"x-fill-%d" % i, b"v" * 16000, indexed=True) for i in range(3))
    floods = [h2_frame(HEADERS, END_HEADERS, 1 + 2 * i, block) for i in range(1000)]  # 48 MB
    out, _ = etcd_run(work, "HPACK table of 4 GiB, 48 MB of indexed fields", "etcd-hpack.pcap",
                      floods + [grpc_call(1001, PUT, put_request(b"/after-the-table"))], big_table)
    expect("etcd hpack", out, "UndecodableHeaders(stream=1, reason=hpack, bytes=48045")
    expect("etcd hpack", out, "PutRequest(stream=1001, key=/after-the-table")


def case_etcd_continuation(work):
    # One header block that never ends: 4096 CONTINUATION frames of 16 KB (64 MB), then a call.
    flood = [h2_frame(HEADERS, 0, 1, hpack_literal(b"x-a", b"a" * 16000))]
    flood += [h2_frame(CONTINUATION, 0, 1, hpack_literal(b"x-b", b"b" * 16000))] * 4096
    flood.append(h2_frame(CONTINUATION, END_HEADERS, 1, b""))
    out, _ = etcd_run(work, "a CONTINUATION flood of 64 MB", "etcd-continuation.pcap",
                      flood + [grpc_call(3, PUT, put_request(b"/after-the-flood"))])
    expect("etcd continuation", out, "UndecodableHeaders(stream=1, reason=over-cap, bytes=65584776")
    expect("etcd continuation", out, "PutRequest(stream=3, key=/after-the-flood")


def case_etcd_huge_message(work):
    # A gRPC message claiming 2 GB, 64 MB of DATA frames, then a call on another stream.
    filler = bytes(rng.getrandbits(8) for _ in range(16000))
    client = [h2_frame(HEADERS, END_HEADERS, 1, grpc_headers(PUT)),
              h2_frame(DATA, 0, 1, b"\0" + struct.pack("!I", 0x7fffffff) + filler)]
    client += [h2_frame(DATA, 0, 1, filler)] * 4096
    client.append(grpc_call(3, PUT, put_request(b"/after-the-flood")))
    out, err = etcd_run(work, "a gRPC message claiming 2 GB, then 64 MB of DATA", "etcd-huge.pcap", client)
    expect("etcd huge message", err, "1 oversized messages")
    expect("etcd huge message", out, "PutRequest(stream=3, key=/after-the-flood")


def case_etcd_protobuf(work):
    # A varint of 11 bytes, a length past the message's end, and a Txn nested 5,000 deep: each
    # is shown as undecodable where it starts, and the next call still decodes.
    long_varint = b"\x0a\x03/k1\x20" + b"\xff" * 10 + b"\x01"
    past_end = b"\x0a\x7f/k2"
    nested = b""
    for _ in range(5000):  # TxnRequest.success (2) -> RequestOp.request_txn (4) -> TxnRequest
        op = b"\x22" + varint(len(nested)) + nested
        nested = b"\x12" + varint(len(op)) + op
    calls = [grpc_call(1, PUT, long_varint), grpc_call(3, PUT, past_end),
             grpc_call(5, b"/etcdserverpb.KV/Txn", nested), grpc_call(7, PUT, put_request(b"/after"))]
    out, _ = etcd_run(work, "protobuf: an 11-byte varint, a length past the end, Txn 5,000 deep",
                      "etcd-protobuf.pcap", calls)
    expect("etcd protobuf", out, "PutRequest(stream=1, key=/k1, malformed=True")
    expect("etcd protobuf", out, "PutRequest(stream=3, malformed=True")
    expect("etcd protobuf", out, "TxnRequest(depth_limited=True)")
    expect("etcd protobuf", out, "PutRequest(stream=7, key=/after")


CASES = {"random": case_random_bytes, "flipped": case_flipped, "huge": case_huge_frame,
         "connections": case_many_connections, "escapes": case_escapes, "forged": case_forged_fields,
         "quorum-random": case_quorum_random, "quorum-flipped": case_quorum_flipped,
         "quorum-huge": case_quorum_huge, "etcd-random": case_etcd_random, "etcd-hpack": case_etcd_hpack,
         "etcd-continuation": case_etcd_continuation, "etcd-huge": case_etcd_huge_message,
         "etcd-protobuf": case_etcd_protobuf}
with tempfile.TemporaryDirectory() as work:
    for name, case in CASES.items():
        if not only or name in only:
            case(work)
print("hostile input: no crash, no hang, RSS under 256 MB, every problem reported")
