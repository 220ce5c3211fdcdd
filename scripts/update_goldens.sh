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
read -r -a tls_args < "$repo/pcaps/etcd_tls.args"
TZ=UTC "$zkdump" -q --stats "${tls_args[@]}" -r "$repo/pcaps/etcd_tls.pcap" > "$repo/pcaps/etcd_tls.stats.expected"
read -r -a workload_args < "$repo/pcaps/quorum_workload.args"
TZ=UTC "$zkdump" -q --stats "${workload_args[@]}" -r "$repo/pcaps/quorum_workload.pcap" \
  > "$repo/pcaps/quorum_workload.stats.expected"
