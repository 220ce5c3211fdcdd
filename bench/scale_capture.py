#!/usr/bin/env python3
"""Replicates a loopback capture SCALE times, each copy after the previous in time and with its
client ports shifted, so the copies are distinct connections of the same real traffic.
usage: scale_capture.py IN.pcap SCALE OUT.pcap   (Ethernet, IPv4, classic pcap)"""
import struct
import sys

source, scale, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(source, "rb") as f:
    data = f.read()
header, body = data[:24], data[24:]
port = int(open(source.replace(".pcap", ".port")).read())
records = []
offset = 0
while offset + 16 <= len(body):
    sec, usec, caplen, wirelen = struct.unpack("<IIII", body[offset:offset + 16])
    records.append((sec, usec, body[offset + 16:offset + 16 + caplen], wirelen))
    offset += 16 + caplen
span = records[-1][0] - records[0][0] + 1
with open(target, "wb") as out:
    out.write(header)
    for copy in range(scale):
        for sec, usec, frame, wirelen in records:
            frame = bytearray(frame)
            ihl = (frame[14] & 0x0f) * 4
            tcp = 14 + ihl
            sport, dport = struct.unpack("!HH", frame[tcp:tcp + 4])
            # Shift the client's port; the server's stays. Ports wrap within the ephemeral range.
            if dport == port:
                sport = 1024 + (sport - 1024 + copy * 7919) % 64000
            else:
                dport = 1024 + (dport - 1024 + copy * 7919) % 64000
            frame[tcp:tcp + 4] = struct.pack("!HH", sport, dport)
            out.write(struct.pack("<IIII", sec + copy * span, usec, len(frame), wirelen) + frame)
