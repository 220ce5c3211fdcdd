#!/usr/bin/python3
"""Every JSON line and document zkdump writes for every bundled capture (in each output mode, and
for re-cut variants that produce the error lines) validates against schema/zkdump.schema.json with
Debian's python3-jsonschema; no object has a key twice; a key has one JSON type everywhere; and
the schema rejects broken lines.
usage: check_schema.py ZKDUMP SCHEMA PCAP_DIR RECUT_PY"""
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

zkdump, schema_path, pcaps, recut = sys.argv[1:5]
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

# Objects keyed by data (an op's name, an error's name, a follower) rather than by field.
MAPS = {"op_stats", "errors_by_name", "session_changes", "by_type", "followers",
        "stages_us", "by_server", "registered", "reregistered", "expiries", "alerts", "by_op"}
MODES = [[], ["-v", "-p"], ["--unpaired"], ["--stats"], ["--stats", "--stats-interval", "1"],
         ["--show-credentials", "--show-data"], ["--analyze", "--watch-storm", "1", "--connection-storm", "1",
                                   "--size-alert", "0.01"],
         ["--stats", "--analyze"]]
failures = []
types = collections.defaultdict(set)
map_key_types = collections.defaultdict(set)  # the keys of maps keyed by data, by value type
kinds = collections.Counter()


def no_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %s" % keys)
    return dict(pairs)


def note_types(value):
    if isinstance(value, dict):
        for key, item in value.items():
            types[key].add("null" if item is None else type(item).__name__)
            if key in MAPS:
                for entry_key, entry in item.items():
                    map_key_types[entry_key].add("null" if entry is None else type(entry).__name__)
                    note_types(entry)
            else:
                note_types(item)
    elif isinstance(value, list):
        for item in value:
            note_types(item)


def check_output(label, args):
    out = subprocess.run([zkdump, "-q", "--json", *args], capture_output=True, check=True).stdout
    lines = out.decode().splitlines()
    if not lines:
        failures.append("%s: no output" % label)
    for number, line in enumerate(lines, 1):
        try:
            value = json.loads(line, object_pairs_hook=no_duplicates)
        except ValueError as error:
            failures.append("%s line %d: %s" % (label, number, error))
            continue
        errors = sorted(validator.iter_errors(value), key=lambda e: e.path)
        if errors:
            failures.append("%s line %d: %s\n    %s" % (label, number, errors[0].message, line[:300]))
        kinds[value.get("kind")] += 1
        note_types(value)
    return len(lines)


def options_of(pcap):
    args_file = pcap[:-len(".pcap")] + ".args"
    return open(args_file).read().split() if os.path.exists(args_file) else []


checked = 0
for pcap in sorted(glob.glob(os.path.join(pcaps, "*.pcap"))):
    for mode in MODES:
        checked += check_output("%s %s" % (os.path.basename(pcap), " ".join(mode)),
                                [*mode, *options_of(pcap), "-r", pcap])
with tempfile.TemporaryDirectory() as work:
    # Lost segments, mid-stream starts and snaplen cuts give the error lines.
    for variant in ("lose-one", "midstream", "snaplen", "shuffle"):
        variant_pcap = os.path.join(work, variant + ".pcap")
        subprocess.run([sys.executable, recut, variant, os.path.join(pcaps, "pipelined_load.pcap"),
                        variant_pcap], check=True)
        checked += check_output(variant, ["-r", variant_pcap])

for key, seen in sorted(types.items()):
    if len(seen - {"null"}) > 1 and key not in MAPS:
        failures.append("key %r has several JSON types: %s" % (key, sorted(seen)))
# A map's key that is also a field's name has the field's type: a count named "expired" beside a
# boolean "expired" confuses every consumer that indexes keys.
for key, seen in sorted(map_key_types.items()):
    if key in types and key not in MAPS and "int" in seen and types[key] & {"str", "bool"}:
        failures.append("key %r is a %s in a map but a %s as a field" % (
            key, sorted(seen - {"null"}), sorted(types[key] - {"null"})))

# The schema is precise enough to reject broken lines.
good = {"ts": 1.5, "kind": "request", "proto": "zk", "op": "getData", "xid": 1,
        "client": "127.0.0.1:4000", "server": "127.0.0.1:2181"}
broken = {
    "an unknown kind": dict(good, kind="gossip"),
    "a non-numeric ts": dict(good, ts="yesterday"),
    "no ts": {key: value for key, value in good.items() if key != "ts"},
    "no kind": {key: value for key, value in good.items() if key != "kind"},
    "no proto on a message line": {key: value for key, value in good.items() if key != "proto"},
    "an unknown proto": dict(good, proto="smtp"),
    "a zxid as a string": dict(good, zxid="0x10"),
    "a session that is not hex": dict(good, session="12"),
    "a negative latency": dict(good, kind="reply", latency_us=-3),
    "a boolean as a string": dict(good, watch="True"),
    "a stats document without its totals": {"kind": "stats", "duration_s": 1.0, "op_stats": {}},
    "a statistics document without its time span": {"kind": "zab_stats", "proposals": 0, "proposals_per_s": 0,
                                                     "followers": {}, "duration_s": 1.0},
}
if validator.is_valid(good) is not True:
    failures.append("a good request line is rejected: %s" % list(validator.iter_errors(good))[0].message)
for what, line in broken.items():
    if validator.is_valid(line):
        failures.append("the schema accepts %s" % what)

if failures:
    print("FAIL:\n  " + "\n  ".join(failures[:40]))
    sys.exit(1)
print("%d JSON lines valid (%s); %d keys, one type each; %d broken lines rejected"
      % (checked, ", ".join("%s %d" % item for item in sorted(kinds.items())), len(types), len(broken)))
