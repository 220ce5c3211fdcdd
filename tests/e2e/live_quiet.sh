#!/usr/bin/env bash
# Live views keep time on a quiet link: with no ZooKeeper packet at all, --stats-interval still
# reports every second (each document one second long, back to back), and --top draws its screen
# and quits on q at once, under tmux. With only unrelated TCP on the link, zkdump says after 5 s
# what it saw and that none of it was ZooKeeper or etcd. Every process it starts is stopped, on
# success and failure.
# usage: live_quiet.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
socket="$work/tmux.sock"
zkdump_pid=
http_pid=
cleanup() {
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  if [ -n "$http_pid" ]; then kill "$http_pid" 2>/dev/null || true; fi
  tmux -S "$socket" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
port=$(free_port)  # nothing listens there: not one packet will match

# --stats-interval 1 for 3.5 s of silence: the rest of the first second, at least two whole
# intervals, the last part, then the run; together they cover the run exactly.
"$zkdump" -i lo --port "$port" --stats --stats-interval 1 --json > "$work/stats.json" 2> "$work/stats.err" &
zkdump_pid=$!
sleep 3.5
kill -INT "$zkdump_pid"
wait "$zkdump_pid" || fail "zkdump --stats-interval exited $?: $(cat "$work/stats.err")"
zkdump_pid=
# As tcpdump does, a live capture says where it listens.
grep -q "^zkdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes; client port $port" \
  "$work/stats.err" || fail "no listening-on line: $(head -n 2 "$work/stats.err")"
"$ZK_PYTHON" - "$work/stats.json" <<'PY' || exit 1
import json, sys
docs = [json.loads(line) for line in open(sys.argv[1])]
intervals = [d for d in docs if d["scope"] == "interval"]
whole = [d for d in docs if d["scope"] == "run"]
full = [d for d in intervals if abs(d["duration_s"] - 1.0) < 1e-6]
if len(full) < 2 or len(whole) != 1 or docs[-1] is not whole[0]:
    sys.exit("FAIL: %d one-second intervals, %d whole-run reports in 3.5 s of silence: %s"
             % (len(full), len(whole), [(d["scope"], d["duration_s"]) for d in docs]))
for earlier, later in zip(intervals, intervals[1:]):
    if later["start"] != earlier["end"]:
        sys.exit("FAIL: interval ending %s followed by one starting %s" % (earlier["end"], later["start"]))
if (intervals[0]["start"], intervals[-1]["end"]) != (whole[0]["start"], whole[0]["end"]):
    sys.exit("FAIL: intervals from %s to %s, the run from %s to %s" % (
        intervals[0]["start"], intervals[-1]["end"], whole[0]["start"], whole[0]["end"]))
if whole[0]["duration_s"] < 3.0:
    sys.exit("FAIL: the whole run lasted %s s" % whole[0]["duration_s"])
print("quiet link: %d intervals of 1 s, back to back, then the whole run (%.1f s)"
      % (len(full), whole[0]["duration_s"]))
PY

# --top with no packet: the screen is drawn within a second, and q quits within a second.
tmux -S "$socket" new-session -d -s top -x 120 -y 40 \
  "$zkdump --top -i lo --port $port 2> $work/top.err; echo \$? > $work/status; sleep 60"
drawn=
for _ in $(seq 1 10); do
  if tmux -S "$socket" capture-pane -p -t top | grep -q '^zkdump --top  capturing'; then drawn=1; break; fi
  sleep 0.1
done
[ -n "$drawn" ] || fail "--top drew nothing within 1 s on a quiet link: $(tmux -S "$socket" capture-pane -p -t top)"
tmux -S "$socket" send-keys -t top q
for _ in $(seq 1 10); do [ -f "$work/status" ] && break; sleep 0.1; done
[ "$(cat "$work/status" 2>/dev/null)" = 0 ] || fail "q did not end --top within 1 s on a quiet link"
echo "--top on a quiet link: drawn at once, q quits at once"

# Live, no silence: HTTP downloads on a port nothing names, no ZooKeeper anywhere. After 5 s of
# decoding nothing, one hint names the busiest port.
http_port=$(free_port)
mkdir -p "$work/www"
head -c 65536 /dev/urandom > "$work/www/blob"
"$ZK_PYTHON" -m http.server --bind 127.0.0.1 --directory "$work/www" "$http_port" > /dev/null 2>&1 &
http_pid=$!
sleep 0.5
"$zkdump" -i lo > "$work/hint.out" 2> "$work/hint.err" &
zkdump_pid=$!
for _ in $(seq 1 70); do curl -s -o /dev/null "http://127.0.0.1:$http_port/blob" || true; sleep 0.1; done
kill -INT "$zkdump_pid"
wait "$zkdump_pid" || true
zkdump_pid=
grep -q "^zkdump: nothing decoded in 5 s: TCP payload on port $http_port " "$work/hint.err" ||
  fail "no hint after 5 s of unrelated traffic: $(cat "$work/hint.err")"
[ "$(grep -c "nothing decoded" "$work/hint.err")" = 1 ] || fail "the hint was said more than once"
[ ! -s "$work/hint.out" ] || fail "unrelated traffic printed lines: $(head -n 3 "$work/hint.out")"
echo "unrelated traffic only: one hint after 5 s, naming port $http_port"
