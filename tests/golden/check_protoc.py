#!/usr/bin/env python3
"""Cross-checks zkdump's etcd decoding against independent decoders: this script cuts the
captures itself (pcap, TCP, HTTP/2 frames, HPACK with python3-hpack, gRPC messages), and
`protoc --decode` with etcd's own .proto files (Debian's golang-etcd-server-dev) decodes each
message. For every connection seen from its start, zkdump must give the same messages per stream
and direction, the same methods, and every value protoc shows.
usage: check_protoc.py ZKDUMP PCAP..."""
import collections
import json
import re
import struct
import subprocess
import sys

import hpack

GOCODE = "/usr/share/gocode/src"
PROTOS = {"etcdserverpb": "etcd/etcdserver/etcdserverpb/rpc.proto",
          "v3lockpb": "etcd/etcdserver/api/v3lock/v3lockpb/v3lock.proto",
          "v3electionpb": "etcd/etcdserver/api/v3election/v3electionpb/v3election.proto"}
INCLUDES = [GOCODE + "/go.etcd.io", GOCODE + "/github.com/gogo/protobuf", "/usr/include",
            GOCODE + "/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis"]
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# Fields zkdump adds about a message rather than from it.
ABOUT = {"ts", "kind", "proto", "op", "stream", "method", "client", "server", "latency_us", "method_guessed",
         "value_size", "blob_size", "events", "event", "watch_id_of_event"}
# What zkdump shows that proto3 leaves out: zeros, false and each enum's first name.
DEFAULTS = {0, False, "PUT", "EQUAL", "VERSION", "NONE", "GET", "READ", "KEY"}


def methods():
    """gRPC path -> (request type, response type), from the .proto files' services."""
    table = {}
    for package, path in PROTOS.items():
        text = open(GOCODE + "/go.etcd.io/" + path).read()
        for service, body in re.findall(r"service (\w+) \{(.*?)\n\}", text, re.S):
            for name, request, response in re.findall(
                    r"rpc (\w+)\s*\(\s*(?:stream )?([\w.]+)\s*\)\s*returns\s*\(\s*(?:stream )?([\w.]+)\s*\)", body):
                qualify = lambda t: t if "." in t else package + "." + t
                table["/%s.%s/%s" % (package, service, name)] = (qualify(request), qualify(response), path)
    return table


def segments(pcap):
    """(flow, seq, payload, syn) for each TCP segment of an Ethernet (or loopback) pcap."""
    data = open(pcap, "rb").read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    offset = 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        ip = frame[14:] if linktype == 1 else frame[16:] if linktype == 113 else frame
        if not ip or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        flags = tcp[13]
        payload = tcp[(tcp[12] >> 4) * 4:]
        yield (ip[12:16], sport, ip[16:20], dport), seq, payload, bool(flags & 2)


def streams(pcap):
    """Each direction's bytes, for connections seen from their SYN: {(client_port, to_server): bytes}."""
    isn, parts = {}, collections.defaultdict(dict)
    for flow, seq, payload, syn in segments(pcap):
        if syn:
            isn[flow] = seq + 1
        elif payload:
            parts[flow][seq] = payload
    out = {}
    for flow, start in isn.items():
        reverse = (flow[2], flow[3], flow[0], flow[1])
        if reverse not in isn:
            continue
        to_server = flow[3] == 2379
        buffer, at = bytearray(), start
        for seq in sorted(parts[flow], key=lambda s: (s - start) % 2**32):
            payload = parts[flow][seq]
            skip = (at - seq) % 2**32
            if skip < len(payload):
                buffer += payload[skip:]
                at = (seq + len(payload)) % 2**32
        out[(flow[1] if to_server else flow[3], to_server)] = bytes(buffer)
    return out


def grpc_messages(pcap):
    """[(client_port, stream, to_server, path, message bytes)] in each direction's order."""
    directions = streams(pcap)
    found = []
    for client in sorted({port for port, _ in directions}):
        to_server = directions.get((client, True), b"")
        if not to_server.startswith(PREFACE):
            continue
        paths = {}
        for is_request, data in ((True, to_server[len(PREFACE):]), (False, directions.get((client, False), b""))):
            decoder, pending, block = hpack.Decoder(), collections.defaultdict(bytes), b""
            at = 0
            while at + 9 <= len(data):
                length = int.from_bytes(data[at:at + 3], "big")
                kind, flags = data[at + 3], data[at + 4]
                stream = int.from_bytes(data[at + 5:at + 9], "big") & 0x7fffffff
                payload = data[at + 9:at + 9 + length]
                at += 9 + length
                if kind in (0, 1) and flags & 0x8:  # padded
                    payload = payload[1:len(payload) - payload[0]]
                if kind == 1:
                    block = payload[5:] if flags & 0x20 else payload
                if kind == 9:
                    block += payload
                if kind in (1, 9) and flags & 0x4:
                    headers = dict(decoder.decode(block, raw=False))
                    if ":path" in headers:
                        paths[stream] = headers[":path"]
                if kind == 0:
                    pending[stream] += payload
                    while len(pending[stream]) >= 5:
                        size = int.from_bytes(pending[stream][1:5], "big")
                        if len(pending[stream]) < 5 + size:
                            break
                        found.append((client, stream, is_request, paths.get(stream), pending[stream][5:5 + size]))
                        pending[stream] = pending[stream][5 + size:]
    return found


def protoc_values(type_name, proto, message):
    decoded = subprocess.run(["protoc", "--decode=" + type_name, *("-I" + path for path in INCLUDES), proto],
                             input=message, capture_output=True, check=True).stdout.decode()
    values = collections.Counter()
    for line in decoded.splitlines():
        match = re.match(r'\s*(\w+): (.*)$', line)
        if not match or match.group(1) in ("password", "token"):
            continue
        value = match.group(2)
        if value.startswith('"'):
            if "\\" not in value:
                values[value[1:-1]] += 1
        elif value in ("true", "false"):
            values[value == "true"] += 1
        elif re.fullmatch(r"-?\d+", value):
            values[int(value)] += 1
        else:
            values[value] += 1  # an enum's name
    return values


def zkdump_values(line):
    values = collections.Counter()
    todo = [(key, value) for key, value in line.items() if key not in ABOUT]
    while todo:
        key, value = todo.pop()
        if key in ABOUT:
            continue
        if isinstance(value, dict):
            todo.extend(value.items())
        elif isinstance(value, list):
            todo.extend((key, item) for item in value)
        elif isinstance(value, str) and re.fullmatch(r"0x[0-9a-f]+", value):
            values[int(value, 16)] += 1
        elif isinstance(value, str) and (value == "<redacted>" or not value.isprintable() or "\\" in value):
            continue  # a secret, or escaped bytes: protoc's escapes differ, its strings are skipped too
        else:
            values[value] += 1
    return values


def main():
    zkdump, pcaps = sys.argv[1], sys.argv[2:]
    table, failures, checked = methods(), [], 0
    for pcap in pcaps:
        lines = [json.loads(line) for line in subprocess.run(
            [zkdump, "-q", "--json", "--show-data", "--etcd-port", "2379", "-r", pcap], check=True, capture_output=True,
            text=True).stdout.splitlines()]
        by_stream = collections.defaultdict(list)
        for line in lines:
            if line["kind"] in ("request", "reply") and line.get("op") != "http1":
                port = int((line["client"]).rsplit(":", 1)[1])
                by_stream[(port, line["stream"], line["kind"] == "request")].append(line)
            elif line["kind"] == "event":  # a watch event belongs to the reply before it
                port = int((line["client"]).rsplit(":", 1)[1])
                reply = by_stream[(port, line["stream"], False)][-1]
                reply.setdefault("_events", []).append({k: v for k, v in line.items() if k not in ABOUT | {"watch_id"}})
        cut = collections.defaultdict(list)
        for client, stream, is_request, path, message in grpc_messages(pcap):
            cut[(client, stream, is_request)].append((path, message))
        for key, messages in cut.items():
            ours = by_stream.get(key, [])
            if len(ours) != len(messages):
                failures.append("%s %s: %d messages, zkdump shows %d" % (pcap, key, len(messages), len(ours)))
                continue
            for (path, message), line in zip(messages, ours):
                checked += 1
                if line.get("method") != path:
                    failures.append("%s %s: method %s, zkdump says %s" % (pcap, key, path, line.get("method")))
                    continue
                request_type, response_type, proto = table[path]
                want = protoc_values(request_type if key[2] else response_type, proto, message)
                got = zkdump_values(line)
                missing = want - got
                extra = {value for value in got - want if value not in DEFAULTS}
                if missing or extra:
                    failures.append("%s %s %s: protoc has %s more, zkdump %s more" % (
                        pcap, key, path, dict(missing), extra))
    if failures:
        sys.exit("FAIL:\n" + "\n".join(failures[:40]))
    print("%d gRPC messages of %d captures match protoc's decoding" % (checked, len(pcaps)))


main()
