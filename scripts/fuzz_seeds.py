#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the real captures in pcaps/.
usage: fuzz_seeds.py PCAP_DIR OUT_DIR"""
import glob
import gzip
import lzma
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recut  # noqa: E402

MAX_SEED = 64 * 1024
pcap_dir, out = sys.argv[1:3]
targets = ("stream_to_server", "stream_to_client", "reassembler", "pcap", "election", "zab", "etcd",
           "detect", "tls", "keylog")
# The server ports of the quorum capture's ensemble (scripts/make_quorum_capture.sh) and defaults.
QUORUM_PORTS = {port: "election" for port in range(3888, 3900)}
QUORUM_PORTS.update({port: "zab" for port in range(2888, 2900)})
QUORUM_PORTS[2379] = "etcd"  # scripts/make_etcd_captures.sh; seeded like the quorum connections
for target in targets:
    os.makedirs(os.path.join(out, target), exist_ok=True)


def write(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data[:MAX_SEED])


for path in sorted(glob.glob(os.path.join(pcap_dir, "*.pcap"))):
    base = os.path.splitext(os.path.basename(path))[0]
    with open(path, "rb") as f:
        head = f.read(4096)  # within the fuzzers' -max_len
    write("pcap", base, head)
    # The same bytes compressed, as zkdump reads .gz and .xz captures.
    write("pcap", base + ".gz", gzip.compress(head))
    write("pcap", base + ".xz", lzma.compress(head))
    packets = recut.read_pcap(path)
    if base.endswith("_tls"):  # as pcapng carrying its key log (a Decryption Secrets Block)
        with tempfile.NamedTemporaryFile() as pcapng:
            with open(os.path.join(pcap_dir, base + ".keys"), "rb") as keys:
                recut.write_pcapng(pcapng.name, packets[:30], keys.read(1024))
            write("pcap", base + ".pcapng", pcapng.read())
    streams = {}
    records = bytearray()
    first_seq = {}
    for p in packets:
        to_server = p["dport"] == 2181
        client_port = p["sport"] if to_server else p["dport"]
        key = (client_port, to_server)
        streams.setdefault(key, bytearray()).extend(p["payload"])
        start = first_seq.setdefault(key, p["seq"])
        offset = (p["seq"] - start) & 0xffff
        payload = p["payload"][:255]
        records += bytes([p["flags"], (1 if to_server else 0) | ((client_port % 8) << 1),
                          offset >> 8, offset & 0xff, len(payload), 1]) + payload
    write("reassembler", base, bytes(records))
    # Server-to-server and etcd connections: each packet's payload as records of direction and length.
    quorum = {}
    for p in packets:
        to_server = p["dport"] in QUORUM_PORTS
        server_port = p["dport"] if to_server else p["sport"]
        if server_port not in QUORUM_PORTS:
            continue
        key = (QUORUM_PORTS[server_port], server_port, p["sport"] if to_server else p["dport"])
        stream = quorum.setdefault(key, bytearray([0x02]))  # text, connection start seen
        payload = p["payload"]
        for at in range(0, len(payload), 127):
            chunk = payload[at:at + 127]
            stream += bytes([(0 if to_server else 0x80) | len(chunk)]) + chunk
    for (target, server_port, client_port), stream in quorum.items():
        write(target, "%s-%d-%d" % (base, server_port, client_port), bytes(stream))
    # Detection: every connection as records, the lower port taken for the server's; control:
    # text, start seen, the server port none of the hints (bits 4-5 zero).
    connections = {}
    for p in packets:
        to_server = p["dport"] < p["sport"]
        key = (min(p["sport"], p["dport"]), max(p["sport"], p["dport"]))
        stream = connections.setdefault(key, bytearray([0x02]))
        for at in range(0, len(p["payload"]), 127):
            chunk = p["payload"][at:at + 127]
            stream += bytes([(0 if to_server else 0x80) | len(chunk)]) + chunk
    for (server_port, client_port), stream in list(connections.items())[:8]:
        write("detect", "%s-%d-%d" % (base, server_port, client_port), bytes(stream))
    # The TLS record layer: the TLS captures' connections, whose key logs the target loads.
    if base.endswith("_tls"):
        for (server_port, client_port), stream in connections.items():
            write("tls", "%s-%d-%d" % (base, server_port, client_port), bytes(stream))
    for (client_port, to_server), data in streams.items():
        target = "stream_to_server" if to_server else "stream_to_client"
        # Control byte: text output, connection start seen, 1500-byte pieces.
        write(target, "%s-%d" % (base, client_port), bytes([0x32]) + bytes(data))
# The key log parser: the bundled key logs, whole and in 7-byte pieces.
for path in sorted(glob.glob(os.path.join(pcap_dir, "*.keys"))):
    with open(path, "rb") as f:
        text = f.read()
    write("keylog", os.path.basename(path), bytes([0]) + text)
    write("keylog", os.path.basename(path) + "-cut", bytes([7]) + text)
