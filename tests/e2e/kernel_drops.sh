#!/usr/bin/env bash
# Kernel drops are reported as they happen: zkdump captures live with the smallest kernel
# buffer, is paused (SIGSTOP) while real clients send a burst, and once resumed must print a
# KernelDrops line while still running, then count the drops in its summary.
# usage: kernel_drops.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
zkdump_pid=
cleanup() {
  if [ -n "$zkdump_pid" ]; then kill -CONT "$zkdump_pid" 2>/dev/null || true; kill "$zkdump_pid" 2>/dev/null || true; fi
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(free_port)
start_zk "$work/zk" "$port"
"$zkdump" -i lo --port "$port" -B 64 -l > "$work/out" 2> "$work/err" &
zkdump_pid=$!
sleep 1
kill -STOP "$zkdump_pid"
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" 2 3000 > /dev/null 2> "$work/load.log"
kill -CONT "$zkdump_pid"
for _ in $(seq 1 50); do grep -q '^[0-9:]* KernelDrops(' "$work/out" && break; sleep 0.1; done
grep -q '^[0-9:]* KernelDrops(dropped=[1-9]' "$work/out" || fail "no KernelDrops line while running"
kill -INT "$zkdump_pid"
wait "$zkdump_pid" || fail "zkdump exited $?"
zkdump_pid=
grep -q -E ' [1-9][0-9]* dropped by kernel' "$work/err" || fail "the summary does not count the drops: $(cat "$work/err")"
echo "kernel drops: $(grep -o 'KernelDrops([^)]*)' "$work/out" | head -1), summary: $(grep -o '[0-9]* dropped by kernel' "$work/err")"
