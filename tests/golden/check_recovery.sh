#!/usr/bin/env bash
# Recovery: a capture that starts mid-connection, or that lost one segment per connection,
# still decodes most messages, and the loss is reported as a line.
# usage: check_recovery.sh ZKDUMP RECUT_PY PCAP VARIANT MIN_PERCENT [zkdump options...]
set -euo pipefail
zkdump=$1 recut=$2 pcap=$3 variant=$4 min_percent=$5
shift 5
options=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$recut" "$variant" "$pcap" "$work/variant.pcap"
# Replies whose request fell before the capture count: their header is decoded and printed.
messages() { "$zkdump" -q --json "${options[@]}" -r "$1" | grep -c -E '"kind":"(request|reply|event)"' || true; }
full=$(messages "$pcap")
recovered=$(messages "$work/variant.pcap")
percent=$((recovered * 100 / full))
echo "$variant: $recovered of $full messages decoded ($percent%)"
[ "$percent" -ge "$min_percent" ] || { echo "FAIL: below $min_percent%" >&2; exit 1; }
if [ "$variant" = lose-one ] || [ "$variant" = snaplen ]; then
  "$zkdump" -q "${options[@]}" -r "$work/variant.pcap" | grep -q -E '^[0-9:]+ Gap\(' || { echo "FAIL: no Gap line" >&2; exit 1; }
fi
