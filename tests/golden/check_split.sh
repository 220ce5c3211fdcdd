#!/usr/bin/env bash
# A session captured at two points, one direction each (scripts/make_split_capture.sh), merged by
# timestamp, decodes as the capture of both directions at one point does. Each tcpdump process
# stamps its own copy of a packet, a microsecond apart, so timestamps and latencies are left out.
# Merged again with the server side's clock 1 ms behind (and ahead), so that replies are recorded
# before their requests: every connection still decodes the same, every request is paired and no
# latency is negative.
# usage: check_split.sh ZKDUMP SCRIPTS_DIR PCAP_DIR
set -euo pipefail
zkdump=$1 scripts=$2 pcaps=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
halves=$pcaps/split_directions
timeless() { sed -E 's/^\{"ts":[0-9.]+,/{/; s/"latency_us":[0-9]+,//'; }
decode() {  # decode PCAP OUT: text without timestamps, and JSON without them or latencies
  TZ=UTC "$zkdump" -q -t -r "$1" > "$2.text"
  TZ=UTC "$zkdump" -q --json -r "$1" | timeless > "$2.json"
}
# Per connection, in order: the shifted clock may interleave connections differently. A text
# reply line names only the server: it belongs to the request line before it.
by_connection() { python3 -c '
import re, sys
lines, client = {}, ""
for line in open(sys.argv[1]):
    named = re.search(r"client[=\":]+([0-9.:\[\]]+)", line)
    if named and not line.startswith("————►"):
        client = named.group(1)
    lines.setdefault(named.group(1) if named else client, []).append(line)
for name in sorted(lines):
    sys.stdout.writelines(lines[name])' "$1"; }

decode "$pcaps/split_directions.pcap" "$work/single"
python3 "$scripts/merge_captures.py" "$halves/to_server.pcap" "$halves/to_client.pcap" "$work/merged.pcap"
decode "$work/merged.pcap" "$work/merged"
for mode in text json; do
  diff -u --label "one capture ($mode)" --label "two merged ($mode)" "$work/single.$mode" "$work/merged.$mode"
done
echo "merged halves: $(wc -l < "$work/single.text") lines identical"

for skew in -1000 1000; do
  python3 "$scripts/merge_captures.py" "$halves/to_server.pcap" "$halves/to_client.pcap" "$work/skewed.pcap" \
    --skew-us "$skew"
  decode "$work/skewed.pcap" "$work/skewed"
  for mode in text json; do
    diff -u --label "one capture ($mode)" --label "skewed $skew us ($mode)" \
      <(by_connection "$work/single.$mode") <(by_connection "$work/skewed.$mode")
  done
  if grep -E '^(————►)?(Unanswered|UnknownReply|Gap)\(' "$work/skewed.text"; then
    echo "FAIL: skew $skew: unpaired messages or gaps" >&2
    exit 1
  fi
  if TZ=UTC "$zkdump" -q --json -r "$work/skewed.pcap" | grep -E '"latency_us":-'; then
    echo "FAIL: skew $skew: a negative latency" >&2
    exit 1
  fi
  echo "server clock $skew us off: every connection decodes the same, every request paired"
done
