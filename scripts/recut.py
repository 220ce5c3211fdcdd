#!/usr/bin/env python3
"""Rewrites a capture of real traffic so that TCP cuts, orders or frames its bytes differently,
for reassembly tests: zkdump must decode every variant to what it decodes the original to.

usage: recut.py VARIANT IN.pcap OUT.pcap [SEED]

Variants: bytes1 (one payload byte per segment), random (cut at random points), merged
(consecutive segments of a direction merged), reordered (runs of segments reversed),
duplicated (every segment sent twice, plus overlapping retransmissions), vlan (802.1Q + QinQ),
sll (Linux cooked), sll2, ipv6, loopback (BSD NULL), raw (raw IP), midstream (each connection's
first 40% of its time dropped), lose-one (one client data segment per connection dropped), snaplen (every
packet cut to 96 bytes), pcapng (the same packets in pcapng format), pcapng:KEYLOG (and the TLS key
log KEYLOG in a Decryption Secrets Block before them, as editcap --inject-secrets writes it).
Across directions, as capture points re-order them (each packet keeps its own timestamp, so time
may go backwards, as on multi-CPU capture): ack-first (the peer's bare ACK of a data segment
recorded before it), reply-first (the peer's next data segment, which acknowledges it, recorded
before it), shuffle (each connection's packets shuffled in windows of four, both directions
together, among packets less than 2 ms apart; SYNs stay in place, and so does the order between
connections). Input: an Ethernet, IPv4 capture in classic pcap format."""
import random
import struct
import sys

ETHERNET, NULL, RAW, SLL, SLL2 = 1, 0, 101, 113, 276


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == ETHERNET, "input must be Ethernet"
    packets, offset = [], 24
    while offset + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack(endian + "IIII", data[offset:offset + 16])
        packets.append(parse((sec, usec), data[offset + 16:offset + 16 + caplen]))
        offset += 16 + caplen
    return packets


def parse(ts, frame):
    ip = frame[14:]
    ihl = (ip[0] & 0xf) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:total]
    doff = (tcp[12] >> 4) * 4
    return {
        "ts": ts, "src": ip[12:16], "dst": ip[16:20], "ipid": struct.unpack("!H", ip[4:6])[0],
        "sport": struct.unpack("!H", tcp[0:2])[0], "dport": struct.unpack("!H", tcp[2:4])[0],
        "seq": struct.unpack("!I", tcp[4:8])[0], "ack": struct.unpack("!I", tcp[8:12])[0],
        "flags": tcp[13], "window": struct.unpack("!H", tcp[14:16])[0], "options": tcp[20:doff],
        "payload": tcp[doff:],
    }


def tcp_bytes(p):
    doff = (20 + len(p["options"])) // 4
    return struct.pack("!HHIIBBHHH", p["sport"], p["dport"], p["seq"] & 0xffffffff, p["ack"], doff << 4,
                       p["flags"], p["window"], 0, 0) + p["options"] + p["payload"]


def ipv4_bytes(p):
    tcp = tcp_bytes(p)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), p["ipid"], 0x4000, 64, 6, 0,
                       p["src"], p["dst"]) + tcp


def ipv6_bytes(p):
    tcp = tcp_bytes(p)
    mapped = lambda a: b"\0" * 10 + b"\xff\xff" + a  # ::ffff:a.b.c.d keeps endpoints distinct
    hop_by_hop = bytes([6, 0, 1, 4, 0, 0, 0, 0])     # one extension header, to be skipped
    return struct.pack("!IHBB16s16s", 6 << 28, len(hop_by_hop) + len(tcp), 0, 64,
                       mapped(p["src"]), mapped(p["dst"])) + hop_by_hop + tcp


def encode(p, link):
    if link == "ethernet":
        return b"\0" * 12 + b"\x08\x00" + ipv4_bytes(p)
    if link == "vlan":
        return b"\0" * 12 + b"\x88\xa8\x00\x05\x81\x00\x00\x07\x08\x00" + ipv4_bytes(p)
    if link == "sll":
        return struct.pack("!HHH8sH", 0, 772, 6, b"\0" * 8, 0x0800) + ipv4_bytes(p)
    if link == "sll2":
        return struct.pack("!HHIHBB8s", 0x0800, 0, 1, 772, 0, 6, b"\0" * 8) + ipv4_bytes(p)
    if link == "ipv6":
        return b"\0" * 12 + b"\x86\xdd" + ipv6_bytes(p)
    if link == "loopback":
        return struct.pack("<I", 2) + ipv4_bytes(p)
    return ipv4_bytes(p)


LINKTYPES = {"ethernet": ETHERNET, "vlan": ETHERNET, "ipv6": ETHERNET, "sll": SLL, "sll2": SLL2,
             "loopback": NULL, "raw": RAW}


def write_pcap(path, packets, link="ethernet", snaplen=262144):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, LINKTYPES[link]))
        for p in packets:
            frame = encode(p, link)
            captured = frame[:snaplen]
            f.write(struct.pack("<IIII", p["ts"][0], p["ts"][1], len(captured), len(frame)) + captured)


def write_pcapng(path, packets, key_log=None):
    """The same packets as pcapng: section header, one Ethernet interface, the key log if given,
    enhanced packet blocks."""
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    with open(path, "wb") as f:
        f.write(block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", ETHERNET, 0, 262144)))
        if key_log is not None:
            f.write(block(0x0000000a, struct.pack("<II", 0x544c534b, len(key_log)) + key_log))
        for p in packets:
            frame = encode(p, "ethernet")
            micros = p["ts"][0] * 1000000 + p["ts"][1]
            f.write(block(6, struct.pack("<IIIII", 0, micros >> 32, micros & 0xffffffff, len(frame), len(frame))
                          + frame))


def flow(p):
    return (p["src"], p["sport"], p["dst"], p["dport"])


def with_payload(p, seq_offset, payload, **changes):
    q = dict(p, seq=p["seq"] + seq_offset, payload=payload)
    q.update(changes)
    return q


def split(p, cuts):
    """Cuts p's payload at the given offsets; only the last piece keeps FIN/PSH."""
    pieces, start = [], 0
    for end in list(cuts) + [len(p["payload"])]:
        if end > start:
            last = end == len(p["payload"])
            pieces.append(with_payload(p, start, p["payload"][start:end],
                                       flags=p["flags"] if last else p["flags"] & ~0x09))
        start = end
    return pieces


def runs(packets):
    """Groups consecutive, contiguous data packets of one flow; anything else is a run of its own."""
    group = []
    for p in packets:
        # Only a contiguous stretch forms a run: a retransmission starts a run of its own.
        follows = group and flow(group[-1]) == flow(p) and \
            p["seq"] == (group[-1]["seq"] + len(group[-1]["payload"])) & 0xffffffff
        if p["payload"] and not p["flags"] & 0x07 and follows:
            group.append(p)
            continue
        if group:
            yield group
        group = [p] if p["payload"] and not p["flags"] & 0x07 else []
        if not group:
            yield [p]
    if group:
        yield group


def connection_of(p):
    return frozenset([(p["src"], p["sport"]), (p["dst"], p["dport"])])


def seconds(p):
    return p["ts"][0] + p["ts"][1] / 1e6


def connection_runs(packets, max_pause=None):
    """Maximal stretches of consecutive packets of one connection, split at every SYN (and at
    pauses longer than max_pause seconds): moving packets only inside them keeps the order between
    connections, and handshakes, as they were."""
    run = []
    for p in packets:
        paused = max_pause is not None and run and seconds(p) - seconds(run[-1]) > max_pause
        if run and (connection_of(run[-1]) != connection_of(p) or p["flags"] & 0x02 or paused):
            yield run
            run = []
        run.append(p)
    if run:
        yield run


def acknowledges(q, p):
    """q comes from p's peer and its ACK covers p's data."""
    end = (p["seq"] + len(p["payload"])) & 0xffffffff
    return flow(q) == (p["dst"], p["dport"], p["src"], p["sport"]) and q["flags"] & 0x10 and \
        ((q["ack"] - end) & 0xffffffff) < 0x40000000


def peer_first(packets, wanted):
    """Moves the packet that acknowledges a data segment first before it, when `wanted` picks
    that packet and it is in the same connection run."""
    out = []
    for run in connection_runs(packets):
        run = list(run)
        i = 0
        while i < len(run):
            p = run[i]
            if p["payload"] and not p["flags"] & 0x07:
                first = next((j for j in range(i + 1, len(run)) if acknowledges(run[j], p)), None)
                if first is not None and wanted(run[first]):
                    run.insert(i, run.pop(first))
                    i += 1
            i += 1
        out += run
    return out


def is_bare_ack(q):
    return not q["payload"] and q["flags"] & 0x17 == 0x10


def is_plain_data(q):
    return bool(q["payload"]) and not q["flags"] & 0x07


def variant(name, packets, rng):
    out = []
    if name == "bytes1":
        for p in packets:
            out += split(p, range(1, len(p["payload"]))) if p["payload"] else [p]
    elif name == "random":
        for p in packets:
            n = len(p["payload"])
            cuts = sorted(rng.sample(range(1, n), min(n - 1, rng.randint(0, 4)))) if n > 1 else []
            out += split(p, cuts) if p["payload"] else [p]
    elif name == "merged":
        for group in runs(packets):
            while group:  # an IPv4 packet holds at most 64 KiB
                batch = [group.pop(0)]
                while group and sum(len(p["payload"]) for p in batch) + len(group[0]["payload"]) < 60000:
                    batch.append(group.pop(0))
                last = batch[-1]
                out.append(with_payload(batch[0], 0, b"".join(p["payload"] for p in batch), ack=last["ack"],
                                        flags=last["flags"], ts=last["ts"]))
    elif name == "reordered":
        for group in runs(packets):
            out += list(reversed(group))
    elif name == "duplicated":
        for group in runs(packets):
            for i, p in enumerate(group):
                out += [p, p] if p["payload"] else [p]
                if i > 0 and p["payload"]:
                    prev = group[i - 1]
                    half = len(prev["payload"]) // 2
                    joined = (prev["payload"][half:] + p["payload"][:len(p["payload"]) // 2 + 1])[:30000]
                    out.append(with_payload(prev, half, joined, ts=p["ts"]))
    elif name == "midstream":  # each connection joined 40% of the way through its lifetime
        by_connection = {}
        for p in packets:
            by_connection.setdefault(frozenset([(p["src"], p["sport"]), (p["dst"], p["dport"])]), []).append(p)
        dropped = set()
        for group in by_connection.values():
            start, end = group[0]["ts"], group[-1]["ts"]
            seconds = lambda ts: ts[0] + ts[1] / 1e6
            cut = seconds(start) + 0.4 * (seconds(end) - seconds(start))
            dropped.update(id(p) for p in group if seconds(p["ts"]) < cut)
        out = [p for p in packets if id(p) not in dropped]
    elif name == "lose-one":
        seen, dropped = {}, set()
        for p in packets:
            seen.setdefault(flow(p), []).append(p)
        for key, flow_packets in seen.items():
            data = [p for p in flow_packets if p["payload"] and key[3] in (2181, 2281, 2379)]
            if len(data) >= 3:
                dropped.add(id(data[len(data) // 2]))
        out = [p for p in packets if id(p) not in dropped]
    elif name == "ack-first":
        out = peer_first(packets, is_bare_ack)
    elif name == "reply-first":
        out = peer_first(packets, is_plain_data)
    elif name == "shuffle":  # capture points re-order packets that are close in time
        for run in connection_runs(packets, max_pause=0.002):
            for start in range(0, len(run), 4):
                window = run[start:start + 4]
                rng.shuffle(window)
                out += window
    else:
        out = packets
    return out


def main():
    name, source, target = sys.argv[1:4]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    packets = read_pcap(source)
    if name.split(":")[0] == "pcapng":
        key_log = open(name.split(":", 1)[1], "rb").read() if ":" in name else None
        write_pcapng(target, packets, key_log)
        return
    link = name if name in LINKTYPES else "ethernet"
    write_pcap(target, variant(name, packets, rng), link, 96 if name == "snaplen" else 262144)


if __name__ == "__main__":
    main()
