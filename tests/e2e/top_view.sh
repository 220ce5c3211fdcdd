#!/usr/bin/env bash
# --top under tmux: the screen shows the ops table and the hottest paths and clients, a key
# changes the order, and q quits; on etcd traffic, the methods, watches, leases, watchers and
# hottest keys; on an ensemble's capture with --omni, the write stages and the analyses' counts,
# and the leader in the header, also after a failover.
# The tmux server is this test's own, removed on exit. A keeper session holds it up between
# runs: a server left with no session exits, and a client arriving meanwhile fails with
# "server exited unexpectedly".
# Capture loss is on the second line, and the figures it can forge are marked.
# usage: top_view.sh ZKDUMP PCAP ETCD_PCAP QUORUM_WORKLOAD_PCAP FAILOVER_PCAP RECUT_PY
set -euo pipefail
zkdump=$1 pcap=$2 etcd_pcap=$3 workload_pcap=$4 failover_pcap=$5 recut=$6
work=$(mktemp -d)
socket="$work/tmux.sock"
cleanup() {
  tmux -S "$socket" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
tmux -S "$socket" new-session -d -s keeper "sleep 600"
runs=0 session=none
fail() { echo "FAIL: $*" >&2; tmux -S "$socket" capture-pane -p -t "$session" >&2 || true; exit 1; }
screen() { tmux -S "$socket" capture-pane -p -t "$session"; }
keys() { tmux -S "$socket" send-keys -t "$session" "$@"; }
wait_for() {  # wait_for PATTERN: up to 10 s for the screen to show it
  for _ in $(seq 1 100); do screen | grep -q -E "$1" && return 0; sleep 0.1; done
  fail "the screen never showed /$1/"
}

start() {  # start ZKDUMP_ARGS...: zkdump --top in a fresh session
  rm -f "$work/status"
  [ "$session" = none ] || tmux -S "$socket" kill-session -t "$session"
  runs=$((runs + 1)) session=top$runs
  tmux -S "$socket" new-session -d -s "$session" -x 120 -y 45 \
    "TZ=UTC $zkdump --top $* 2> $work/stderr; echo \$? > $work/status; sleep 60"
}
quit() {
  keys q
  for _ in $(seq 1 50); do [ -f "$work/status" ] && break; sleep 0.1; done
  [ "$(cat "$work/status" 2>/dev/null)" = 0 ] || fail "q did not end zkdump with status 0"
}

start -r "$pcap"
wait_for '^zkdump --top  finished'
screen | grep -q -E '^getData +2000 ' || fail "no getData row with 2000 requests"
screen | grep -q -E '^  /load/c0 +1501 ' || fail "no hottest path /load/c0"
screen | grep -q -E '^  127\.0\.0\.1 +10015 ' || fail "no hottest client"
screen | grep -q 'sorted by requests' || fail "not sorted by requests at first"
screen | grep -q -E '^servers 1: 127\.0\.0\.1:2181 zk$' || fail "the server found is not listed"

keys l
wait_for 'sorted by p99 latency'
first_op=$(screen | awk '/^op /{getline; print $1; exit}')
[ "$first_op" = getData ] || fail "p99 order starts with $first_op"
keys e
wait_for 'sorted by errors'
first_op=$(screen | awk '/^op /{getline; print $1; exit}')
# exists answered NoNode 2000 times: answers, not errors; with no errors, ops go by name.
[ "$first_op" = closeSession ] || fail "error order starts with $first_op, not closeSession"
screen | grep -q -E '^exists +2000 +[0-9.]+ +0 ' || fail "exists's NoNode answers counted as errors"
screen | grep -q -E '^capture loss: none \(0 dropped by kernel, 0 gaps\)$' || fail "no loss line"
quit

# Loss: a segment lost from the capture is said in the header, and what it can forge is marked.
python3 "$recut" lose-one "$pcap" "$work/lost.pcap"
start -r "$work/lost.pcap"
wait_for '^zkdump --top  finished'
screen | grep -q -E '^CAPTURE LOSS: 0 dropped by kernel, 0 by interface, [1-9][0-9]* gaps' ||
  fail "the loss is not in the header"
screen | grep -q -E '^oldest pending\*: ' || fail "oldest pending not marked as distortable"
quit

start -r "$etcd_pcap"
wait_for '^zkdump --top  finished'
screen | grep -q -E '^servers 1: 127\.0\.0\.1:2379 etcd$' || fail "etcd found by its bytes is not listed"
screen | grep -q -E '^Range +7 ' || fail "no etcd Range row with 7 calls"
screen | grep -q -E '^Watch +0 .* 2$' || fail "the open Watch streams are not shown"
screen | grep -q -E '^watch events 6 ' || fail "no watch events line"
screen | grep -q -E '^leases granted 1 kept alive 1 ' || fail "no leases line"
screen | grep -q -E '^  127\.0\.0\.1:[0-9]+ stream 1 watch 0 +0 +6$' || fail "no watcher row"
screen | grep -q -E '^  /app/a +4 +1$' || fail "no hottest key /app/a"
screen | grep -q -E '^op ' && fail "a ZooKeeper ops table on an etcd-only capture"
keys e
wait_for 'sorted by errors'
first_method=$(screen | awk '/^etcd method /{getline; print $1; exit}')
[ "$first_method" = LeaseRevoke ] || fail "error order starts with $first_method, not LeaseRevoke"
quit

start --omni --election-port 3891 -r "$workload_pcap"
wait_for '^zkdump --top  finished'
screen | grep -q -E '^writes traced 212  watch storms 1  sessions at risk 1 expired 2  size alerts 2$' ||
  fail "no analyses line"
for stage in forward propose quorum commit sync reply request_to_reply; do
  screen | grep -q -E "^  $stage +[0-9]+ " || fail "no write stage $stage"
done
screen | grep -q -E '^zkdump --top  finished .* leader 3 epoch 1$' || fail "no leader in the header"
quit

# Through a failover: the header names the leader now, not the first one.
start --omni -r "$failover_pcap"
wait_for '^zkdump --top  finished'
screen | grep -q -E '^zkdump --top  finished .* leader 2 epoch 2$' || fail "not the leader after the failover"
quit
echo "--top: table, hottest paths and clients, r/l/e ordering and q all work under tmux, on"
echo "ZooKeeper, on etcd (methods, watches, leases, watchers, hottest keys) and on an ensemble"
echo "(write stages, analyses, the leader through a failover)"
