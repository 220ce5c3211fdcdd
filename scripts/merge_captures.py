#!/usr/bin/env python3
"""Merges captures by timestamp, as mergecap does: for captures of one session made at two
points, one direction each (two tcpdump processes, two taps). --skew-us shifts the second
capture's clock first, as an unsynchronised capture host would.
usage: merge_captures.py FIRST.pcap SECOND.pcap OUT.pcap [--skew-us N]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recut  # noqa: E402


def shifted(packets, skew_us):
    for p in packets:
        micros = p["ts"][0] * 1000000 + p["ts"][1] + skew_us
        p["ts"] = (micros // 1000000, micros % 1000000)
    return packets


def main():
    args = sys.argv[1:]
    skew = 0
    if "--skew-us" in args:
        at = args.index("--skew-us")
        skew = int(args[at + 1])
        del args[at:at + 2]
    first, second, out = args
    packets = recut.read_pcap(first) + shifted(recut.read_pcap(second), skew)
    packets.sort(key=lambda p: p["ts"])  # stable: ties keep the first capture's packet first
    recut.write_pcap(out, packets)


if __name__ == "__main__":
    main()
