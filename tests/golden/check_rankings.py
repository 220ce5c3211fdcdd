#!/usr/bin/env python3
"""The --stats rankings kept in a fixed number of rows (--stats-keys) keep their promise on a
real capture with more paths than rows: every row's figures are at most the key's own and at
least its own less `uncertain`, every key not listed had at most `unlisted_max_*`, and the
per-op figures are the exact run's. pipelined_load.pcap has 2,045 paths over 10,015 requests.
usage: check_rankings.py ZKDUMP PCAPS_DIR"""
import json
import subprocess
import sys

zkdump, pcaps = sys.argv[1], sys.argv[2]
capture = pcaps + "/pipelined_load.pcap"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def stats(*options):
    out = subprocess.run([zkdump, "-q", "--stats", "--json", *options, "-r", capture],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if '"kind":"stats"' in line][0]


exact = stats("--stats-keys", "100000", "--stats-limit", "100000")
rows = 16
bounded = stats("--stats-keys", str(rows), "--stats-limit", str(rows))

for kind, key in (("paths", "path"), ("clients", "client")):
    truth = {row[key]: row for row in exact[kind]["by_requests"]}
    check(all(row["uncertain"] == 0 for row in exact[kind]["by_requests"]),
          "%s: an exact run has uncertain rows" % kind)
    check(exact[kind]["unlisted_max_requests"] == 0, "%s: an exact run has a bound" % kind)
    for measure, bound_key in (("requests", "unlisted_max_requests"), ("bytes", "unlisted_max_bytes")):
        listed = bounded[kind]["by_" + measure]
        check(len(listed) <= rows, "%s by %s: more rows than kept" % (kind, measure))
        for row in listed:
            own = truth[row[key]][measure]
            check(row[measure] <= own <= row[measure] + row["uncertain"],
                  "%s by %s: %s shows %d (uncertain %d), had %d" % (
                      kind, measure, row[key], row[measure], row["uncertain"], own))
        names = {row[key] for row in listed}
        bound = bounded[kind][bound_key]
        for name, row in truth.items():
            if name not in names:
                check(row[measure] <= bound, "%s by %s: %s had %d, not listed, above the bound %d" % (
                    kind, measure, name, row[measure], bound))
        if kind == "paths":
            check(bound > 0, "paths by %s: no bound with %d rows for %d paths" % (measure, rows, len(truth)))

check(bounded["op_stats"] == exact["op_stats"], "per-op figures differ with fewer rows")
check(bounded["totals"] == exact["totals"], "totals differ with fewer rows")
check(bounded["paths"]["rows_kept"] == rows, "rows_kept is not --stats-keys")

text = subprocess.run([zkdump, "-q", "--stats", "--stats-keys", str(rows), "-r", capture],
                      check=True, capture_output=True, text=True).stdout
check("top paths by requests (%d rows kept: a path not listed had at most %d requests)" % (
    rows, bounded["paths"]["unlisted_max_requests"]) in text, "the text report does not state the bound")
exact_text = subprocess.run([zkdump, "-q", "--stats", "-r", capture], check=True, capture_output=True,
                            text=True).stdout
check("top paths by requests (exact)" in exact_text, "the default run is not said to be exact")

for failure in failures:
    print("FAIL", failure)
print("%d paths, %d rows: %s" % (len(exact["paths"]["by_requests"]), rows, "FAILED" if failures else "ok"))
sys.exit(1 if failures else 0)
