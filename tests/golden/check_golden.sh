#!/usr/bin/env bash
# Golden test: zkdump's output for a bundled capture must equal the expected file next to it.
# usage: check_golden.sh ZKDUMP PCAP EXPECTED [zkdump options...]
set -euo pipefail
zkdump=$1 pcap=$2 expected=$3
shift 3
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
TZ=UTC "$zkdump" -q "$@" -r "$pcap" > "$actual"
if ! diff -u --label "expected: $expected" --label "actual: zkdump $* -r $pcap" "$expected" "$actual"; then
  echo "FAIL: output differs from $expected (rerun scripts/update_goldens.sh after checking the change)" >&2
  exit 1
fi
