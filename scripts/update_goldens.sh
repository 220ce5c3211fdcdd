#!/usr/bin/env bash
# Writes the expected output next to every capture. Review the diff before committing it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
zkdump=$(realpath "${1:-$repo/build}/zkdump")
cd "$repo"  # the TLS captures' .args name their key logs from here
export TZ=UTC
for pcap in "$repo"/pcaps/*.pcap; do
  base=${pcap%.pcap}
  args=()
  [ -f "$base.args" ] && read -r -a args < "$base.args"
  "$zkdump" -q "${args[@]}" -r "$pcap" > "$base.expected"
  "$zkdump" -q --json "${args[@]}" -r "$pcap" > "$base.json.expected"
done
"$zkdump" -q -v -p -r "$repo/pcaps/kazoo_all_ops.pcap" > "$repo/pcaps/kazoo_all_ops.verbose.expected"
TZ=UTC "$zkdump" -q --stats -r "$repo/pcaps/kazoo_all_ops.pcap" > "$repo/pcaps/kazoo_all_ops.stats.expected"
for name in etcd_tls quorum_workload zab_tls; do
  read -r -a args < "$repo/pcaps/$name.args"
  "$zkdump" -q --stats "${args[@]}" -r "$repo/pcaps/$name.pcap" > "$repo/pcaps/$name.stats.expected"
done
