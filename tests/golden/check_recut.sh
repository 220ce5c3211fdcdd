#!/usr/bin/env bash
# Reassembly test: a capture re-cut by scripts/recut.py must decode exactly as the original.
# usage: check_recut.sh ZKDUMP RECUT_PY PCAP VARIANT
set -euo pipefail
zkdump=$1 recut=$2 pcap=$3 variant=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$recut" "$variant" "$pcap" "$work/variant.pcap"
# Merging segments moves a message to the time of the merged packet, so that variant compares
# the messages without timestamps; every other variant keeps each byte's capture time.
options=()
[ "$variant" = merged ] && options=(-t)
TZ=UTC "$zkdump" -q "${options[@]}" -r "$pcap" > "$work/clean.txt"
TZ=UTC "$zkdump" -q "${options[@]}" -r "$work/variant.pcap" > "$work/variant.txt"
if [ "$variant" = ipv6 ]; then
  # Endpoints become IPv4-mapped IPv6 addresses; everything else must match.
  sed -i -E 's/\[::ffff:([0-9.]+)\]/\1/g' "$work/variant.txt"
fi
lines=$(wc -l < "$work/clean.txt")
[ "$lines" -gt 0 ] || { echo "FAIL: the clean capture decoded to nothing" >&2; exit 1; }
if ! diff -u --label "clean $pcap" --label "$variant variant" "$work/clean.txt" "$work/variant.txt"; then
  echo "FAIL: the $variant variant decodes differently" >&2
  exit 1
fi
echo "$variant: $lines lines identical"
