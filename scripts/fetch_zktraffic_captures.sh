#!/usr/bin/env bash
# Fetches twitter/zktraffic's public test captures (Apache License 2.0, its LICENSE kept beside
# them) into pcaps/zktraffic/, then writes their golden outputs: zkdump must find their
# ZooKeeper, ZAB (port 20022) and election traffic by content, with no port option, as
# zktraffic does. Usage: scripts/fetch_zktraffic_captures.sh [BUILD_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
zkdump=${1:-$repo/build}/zkdump
commit=82db04d9aafa13f694d4f5c7265069db42c0307c  # the last commit, July 2020
out=$repo/pcaps/zktraffic
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q https://github.com/twitter/zktraffic.git "$work/zktraffic"
git -C "$work/zktraffic" checkout -q "$commit"
mkdir -p "$out"
cp "$work/zktraffic/LICENSE" "$out/LICENSE"
cp "$work/zktraffic/zktraffic/tests/resources/"*.pcap "$out/"
export TZ=UTC
for pcap in "$out"/*.pcap; do
  "$zkdump" -q -r "$pcap" > "${pcap%.pcap}.expected"
done
