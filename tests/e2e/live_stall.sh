#!/usr/bin/env bash
# A stalled server shows while it stalls: a real ZooKeeper server is frozen (SIGSTOP) with a
# getData in flight; live zkdump prints a Pending line for it within --pending-after (text and
# JSON) and --top shows it as the oldest pending request; once the server thaws, the request
# and its reply still print together. Every process it starts is stopped, on success and failure.
# usage: live_stall.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
socket="$work/tmux.sock"
pids=()
cleanup() {
  [ -f "$work/zk/server.pid" ] && kill -CONT "$(cat "$work/zk/server.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  tmux -S "$socket" kill-server 2>/dev/null || true
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
screen() { tmux -S "$socket" capture-pane -p -t top; }

port=$(free_port)
start_zk "$work/zk" "$port"
"$zkdump" -i lo --port "$port" -l -q > "$work/text" 2> "$work/text.err" &
pids+=($!)
"$zkdump" -i lo --port "$port" -l -q --json > "$work/json" 2> "$work/json.err" &
pids+=($!)
tmux -S "$socket" new-session -d -s top -x 140 -y 40 "$zkdump --top -i lo --port $port 2> $work/top.err"
sleep 1  # every capture is open

"$ZK_PYTHON" "$repo/scripts/traffic/stalled_get.py" "127.0.0.1:$port" "$(cat "$work/zk/server.pid")" 3.5 \
  "$work/stalled" > "$work/client.out" 2> "$work/client.err" &
client_pid=$!
pids+=("$client_pid")
for _ in $(seq 1 150); do [ -f "$work/stalled" ] && break; sleep 0.1; done
[ -f "$work/stalled" ] || fail "the client never got its request in flight: $(cat "$work/client.err")"
sleep 1.8  # past the default --pending-after of 1 s, the server still frozen
pending_text=$(grep -c '^[0-9:]* Pending(xid=[0-9]*, op=getData, path=/zookeeper, waited_us=[0-9]*, client=' "$work/text" || true)
pending_json=$(grep -c '"kind":"pending","proto":"zk","op":"getData"' "$work/json" || true)
grep -q '^oldest pending: getData xid=[0-9]* waiting [0-9.]* s  /zookeeper' <<< "$(screen)" ||
  fail "--top shows no oldest pending getData: $(screen | head -4)"
grep -q 'GetDataRequest' "$work/text" && fail "the held request printed before its reply"
[ "$pending_text" -eq 1 ] || fail "$pending_text text Pending lines while the server is frozen: $(cat "$work/text")"
[ "$pending_json" -eq 1 ] || fail "$pending_json JSON pending objects while the server is frozen"

wait "$client_pid" || fail "the client failed after the stall: $(cat "$work/client.err")"
sleep 1
# Thawed: the request and its reply print together, after the Pending line, paired as ever.
awk '/ Pending\(/ {pending = NR} / GetDataRequest\(/ {request = NR} / GetDataReply\(/ {reply = NR}
     END {exit !(pending && request == pending + 1 && reply == request + 1)}' "$work/text" ||
  fail "after the stall, no Pending, then request, then reply: $(cat "$work/text")"
waited=$(sed -n 's/.* Pending(.*waited_us=\([0-9]*\),.*/\1/p' "$work/text")
[ "$waited" -ge 1000000 ] && [ "$waited" -lt 2500000 ] || fail "Pending after $waited us, not about 1 s"
echo "stalled server: Pending after ${waited} us (text, JSON, --top), then the request and its reply together"
