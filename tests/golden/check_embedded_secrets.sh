#!/usr/bin/env bash
# A pcapng file that carries its TLS key log (a Decryption Secrets Block, as editcap
# --inject-secrets writes it) decodes without --tls-keylog as the capture does with it, in text
# and JSON; without the block, nothing is decrypted.
# usage: check_embedded_secrets.sh ZKDUMP RECUT_PY PCAP KEYLOG [zkdump options...]
set -euo pipefail
zkdump=$1 recut=$2 pcap=$3 keys=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$recut" "pcapng:$keys" "$pcap" "$work/with_secrets.pcapng"
python3 "$recut" pcapng "$pcap" "$work/without.pcapng"
for mode in text json; do
  options=("$@")
  [ "$mode" = json ] && options+=(--json)
  TZ=UTC "$zkdump" -q "${options[@]}" --tls-keylog "$keys" -r "$pcap" > "$work/keylog.$mode" 2> /dev/null
  TZ=UTC "$zkdump" -q "${options[@]}" -r "$work/with_secrets.pcapng" > "$work/embedded.$mode"
  diff -u "$work/keylog.$mode" "$work/embedded.$mode" | head -40 >&2
  cmp -s "$work/keylog.$mode" "$work/embedded.$mode"
done
decrypted=$(grep -c 'tls=True' "$work/embedded.text")
[ "$decrypted" -gt 0 ] || { echo "FAIL: nothing decrypted from the embedded key log" >&2; exit 1; }
if TZ=UTC "$zkdump" -q "$@" -r "$work/without.pcapng" | grep -q 'tls=True'; then
  echo "FAIL: decrypted without any key log" >&2
  exit 1
fi
echo "$decrypted lines decrypted with the key log the pcapng file carries, as with --tls-keylog"
