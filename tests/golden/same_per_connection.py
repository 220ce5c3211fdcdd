#!/usr/bin/env python3
"""Compares two decodes of one capture connection by connection and direction.

Where the capture re-ordered packets, reassembly may hold a connection's bytes a little longer
(a hole waited on, a stream joined mid-way settling where it starts), so lines of different
connections can interleave differently; and the two directions of one connection are ordered
only causally (a reply after its request), so messages that crossed on the wire (an HTTP/2
request on one stream while a reply went out on another) may come in either order. What must not
change is each direction's own lines, in order: JSON lines are grouped by connection and
direction and compared in order; text lines, which name one endpoint only, are compared as a
whole, order aside. Pairing still shows in the lines themselves (latencies, unknown replies).
usage: same_per_connection.py CLEAN VARIANT text|json"""
import collections
import difflib
import json
import sys


def direction_of(record):
    if "from" in record:  # election and ZAB messages name their sender and receiver
        return (record["from"], record["to"])
    to_server = record["kind"] in ("request", "unanswered", "pending")
    direction = record.get("direction") or ("to_server" if to_server else "to_client")
    return (record.get("client"), record.get("server"), direction)


def by_connection(lines):
    groups = collections.defaultdict(list)
    for line in lines:
        groups[direction_of(json.loads(line))].append(line)
    return groups


def report(label, expected, actual):
    sys.stdout.writelines(difflib.unified_diff(expected, actual, f"clean {label}",
                                               f"variant {label}", n=2))


def main():
    clean_path, variant_path, mode = sys.argv[1:4]
    with open(clean_path) as f:
        clean = f.readlines()
    with open(variant_path) as f:
        variant = f.readlines()
    if mode == "json":
        clean_groups, variant_groups = by_connection(clean), by_connection(variant)
        differing = [key for key in sorted(set(clean_groups) | set(variant_groups), key=str)
                     if clean_groups.get(key) != variant_groups.get(key)]
        for key in differing[:3]:
            report(" ".join(map(str, key)), clean_groups.get(key, []), variant_groups.get(key, []))
        return 1 if differing else 0
    if sorted(clean) != sorted(variant):
        report("(lines sorted)", sorted(clean), sorted(variant))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
