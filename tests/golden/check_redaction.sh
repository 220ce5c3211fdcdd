#!/usr/bin/env bash
# Credentials never appear in any output mode unless --show-credentials asks for them.
# usage: check_redaction.sh ZKDUMP PCAP_DIR
set -euo pipefail
zkdump=$1 pcaps=$2
secrets='alice:secret|hunter2|bobsecret|username="bob"'
for options in "" "-v -p" "--json" "--json -v" "--unpaired -v"; do
  # shellcheck disable=SC2086 # options are a list
  for pcap in "$pcaps"/*.pcap; do
    if "$zkdump" -q $options -r "$pcap" | grep -a -E "$secrets"; then
      echo "FAIL: a credential shows in zkdump $options -r $pcap" >&2
      exit 1
    fi
  done
done
"$zkdump" -q --show-credentials -r "$pcaps/kazoo_all_ops.pcap" | grep -q 'credential=alice:secret' ||
  { echo "FAIL: --show-credentials does not show the digest credential" >&2; exit 1; }
"$zkdump" -q --show-credentials --json -r "$pcaps/sasl.pcap" | grep -q 'username=\\"bob\\"' ||
  { echo "FAIL: --show-credentials does not show the SASL token" >&2; exit 1; }
echo "no credential in any output mode; --show-credentials shows them"
