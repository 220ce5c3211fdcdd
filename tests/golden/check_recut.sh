#!/usr/bin/env bash
# Reassembly test: a capture re-cut by scripts/recut.py must decode as the original, in text and
# in JSON: every direction's lines the same and in the same order (same_per_connection.py says
# why connections may interleave differently).
# usage: check_recut.sh ZKDUMP RECUT_PY PCAP VARIANT [zkdump options...]
set -euo pipefail
zkdump=$1 recut=$2 pcap=$3 variant=$4
same_per_connection=$(dirname "$0")/same_per_connection.py
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$recut" "$variant" "$pcap" "$work/variant.pcap"
# Merging segments moves a message to the time of the merged packet, so that variant compares
# the messages without timestamps or latencies; every other variant keeps each byte's capture
# time.
options=("$@")
[ "$variant" = merged ] && options+=(-t)
for mode in text json; do
  mode_options=("${options[@]}")
  [ "$mode" = json ] && mode_options+=(--json)
  TZ=UTC "$zkdump" -q "${mode_options[@]}" -r "$pcap" > "$work/clean.$mode"
  TZ=UTC "$zkdump" -q "${mode_options[@]}" -r "$work/variant.pcap" > "$work/variant.$mode"
  if [ "$variant" = merged ] && [ "$mode" = json ]; then
    sed -i -E 's/^\{"ts":[0-9.]+,/{/; s/"latency_us":[0-9]+,//' "$work/clean.$mode" "$work/variant.$mode"
  elif [ "$variant" = merged ]; then  # etcd's lines say their latency
    sed -i -E 's/latency_us=[0-9]+, //' "$work/clean.$mode" "$work/variant.$mode"
  fi
  if [ "$variant" = ipv6 ]; then
    # Endpoints become IPv4-mapped IPv6 addresses; everything else must match.
    sed -i -E 's/\[::ffff:([0-9.]+)\]/\1/g' "$work/variant.$mode"
  fi
  lines=$(wc -l < "$work/clean.$mode")
  [ "$lines" -gt 0 ] || { echo "FAIL: the clean capture decoded to nothing" >&2; exit 1; }
  if cmp -s "$work/clean.$mode" "$work/variant.$mode"; then
    echo "$variant ($mode): $lines lines identical"
  elif python3 "$same_per_connection" "$work/clean.$mode" "$work/variant.$mode" "$mode"; then
    echo "$variant ($mode): $lines lines identical per connection, connections interleaved differently"
  else
    echo "FAIL: the $variant variant decodes differently ($mode)" >&2
    exit 1
  fi
done
