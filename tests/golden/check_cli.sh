#!/usr/bin/env bash
# Command-line behaviour on a real capture: standard input, the trailing BPF expression, -c,
# timestamp styles, and the documented errors and exit codes.
# usage: check_cli.sh ZKDUMP PCAP
set -uo pipefail
zkdump=$1 pcap=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

"$zkdump" -q -r "$pcap" > "$work/plain.txt" || fail "plain read"
[ -s "$work/plain.txt" ] || fail "nothing decoded"

"$zkdump" -q -r - < "$pcap" | cmp -s - "$work/plain.txt" || fail "-r - (standard input) differs"

"$zkdump" -q -r "$pcap" tcp port 2181 and host 127.0.0.1 | cmp -s - "$work/plain.txt" ||
  fail "a matching BPF expression changed the output"
[ -z "$("$zkdump" -q -r "$pcap" host 10.9.9.9)" ] || fail "a BPF expression matching nothing printed lines"
[ -z "$("$zkdump" -q -r "$pcap" --only-ports --port 2182)" ] || fail "--only-ports --port 2182 decoded traffic on 2181"

[ "$("$zkdump" -q -c 5 -r "$pcap" | wc -l)" -eq 5 ] || fail "-c 5 did not print 5 lines"

first_line() { "$zkdump" -q "$@" -r "$pcap" | head -n 1; }
first_line | grep -q -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}:[0-9]{6} [A-Za-z]+\(' || fail "default timestamp"
first_line -t | grep -q -E '^[A-Za-z]+\(' || fail "-t"
first_line -tt | grep -q -E '^[0-9]{10}\.[0-9]{6} [A-Za-z]+\(' || fail "-tt"
first_line -ttt | grep -q -E '^00:00:00\.000000 ' || fail "-ttt"
first_line -tttt | grep -q -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6} ' || fail "-tttt"
# -ttt: each line's delta is to the line printed above it (paired order, not capture order).
python3 - "$zkdump" "$(dirname "$pcap")/pipelined_load.pcap" <<'PY' || fail "-ttt deltas do not follow the printed lines"
import re, subprocess, sys
run = lambda flag: subprocess.run([sys.argv[1], "-q", flag, "-r", sys.argv[2]], capture_output=True, text=True,
                                  check=True).stdout.splitlines()
stamp = re.compile(r"^(?:————►)?(-?)(\d+):(\d+):(\d+)\.(\d+) ")
def micros(line):
    sign, h, m, s, us = stamp.match(line).groups()
    value = ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000000 + int(us)
    return -value if sign else value
epochs = [round(float(line.split(" ")[0].replace("————►", "")) * 1e6) for line in run("-tt")]
deltas = [micros(line) for line in run("-ttt")]
expected = [0] + [b - a for a, b in zip(epochs, epochs[1:])]
sys.exit(0 if deltas == expected and len(deltas) > 1000 else 1)
PY
# A four-letter word's answer shows, quoted and escaped, with -v (and always in JSON).
"$zkdump" -q -v -r "$(dirname "$pcap")/four_letter_words.pcap" | grep -q "FourLetterReply(cmd=ruok, size=4, server=[0-9.:]*, text=imok)" ||
  fail "-v does not show a four-letter word's answer"
"$zkdump" -q -v -r "$(dirname "$pcap")/four_letter_words.pcap" | grep -q "FourLetterReply(cmd=srvr, size=[0-9]*, server=[0-9.:]*, text='Zookeeper version: .*\\x0aMode: standalone" ||
  fail "-v does not show srvr's answer, escaped"
# --unpaired: a reply does not follow its request, so it names its client.
"$zkdump" -q --unpaired -r "$pcap" | grep -q "^————►.*Reply(.*, client=[0-9.:]*, server=" ||
  fail "--unpaired replies do not name their client"
"$zkdump" -q --json -r "$pcap" | grep -m 1 '"kind":"request"' | python3 -c 'import json,sys; m=json.loads(sys.stdin.read()); assert {"ts","kind","op","client","server"} <= m.keys()' ||
  fail "--json keys"

printf 'not a capture at all\n' > "$work/text.pcap"
"$zkdump" -r "$work/text.pcap" > "$work/out" 2> "$work/err"
[ $? -eq 1 ] || fail "a non-pcap file should exit 1"
[ ! -s "$work/out" ] || fail "a non-pcap file printed output"
grep -q "text.pcap" "$work/err" || fail "the error does not name the file"

head -c "$(( $(stat -c %s "$pcap") - 7 ))" "$pcap" > "$work/truncated.pcap"
"$zkdump" -q -r "$work/truncated.pcap" > "$work/out" 2> "$work/err"
[ $? -eq 2 ] || fail "a truncated capture should exit 2"
grep -q "truncated" "$work/err" || fail "no warning names the truncation"
[ "$(wc -l < "$work/out")" -gt 0 ] || fail "nothing decoded before the cut"

# Output larger than a pipe holds, so the writes meet the closed pipe.
"$zkdump" -r "$(dirname "$pcap")/pipelined_load.pcap" 2> "$work/err" | head -n 1 > /dev/null
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "a closed pipe should end zkdump with status 0"
[ ! -s "$work/err" ] || fail "a closed pipe should end zkdump quietly: $(cat "$work/err")"

# Usage errors: exit 1 and a "zkdump:" message, never CLI11's own codes; options that would be
# silently ignored together are refused.
usage_error() {  # usage_error WHAT ARGS...: zkdump ARGS must refuse, exit 1, say why in one zkdump: line
  local what=$1; shift
  timeout 10 "$zkdump" "$@" > "$work/out" 2> "$work/err" < /dev/null
  local status=$?
  [ "$status" -eq 1 ] || fail "$what: exit $status, not 1"
  head -n 1 "$work/err" | grep -q '^zkdump: ' || fail "$what: no zkdump: message: $(head -n 1 "$work/err")"
  [ ! -s "$work/out" ] || fail "$what: printed output"
}
usage_error "an unknown option" --bogus-option
usage_error "a bad value" -s 10
usage_error "-r with -i" -r "$pcap" -i lo
usage_error "--stats with --top" -r "$pcap" --stats --top
usage_error "--json with --top" -r "$pcap" --json --top
usage_error "--json with --count-requests" -r "$pcap" --json --count-requests 5
usage_error "--stats-interval without --stats" -r "$pcap" --stats-interval 5
usage_error "--aggregation-depth without statistics" -r "$pcap" --aggregation-depth 2
usage_error "--metrics-top without --metrics-listen" -r "$pcap" --metrics-top 5
usage_error "--metrics-listen with --count-requests" -r "$pcap" --metrics-listen 127.0.0.1:0 --count-requests 5
usage_error "--trace-writes with --measure-latency" -r "$pcap" --trace-writes --measure-latency 5
usage_error "--size-alert past 1" -r "$pcap" --size-alert 2
usage_error "--watch-storm 0" -r "$pcap" --watch-storm 0
usage_error "--metrics-listen without a port" -r "$pcap" --metrics-listen localhost
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(20)' > "$work/held_port" &
holder=$!
until [ -s "$work/held_port" ]; do sleep 0.05; done
usage_error "--metrics-listen on a port in use" -r "$pcap" --metrics-listen "127.0.0.1:$(cat "$work/held_port")"
grep -q "cannot listen on 127.0.0.1" "$work/err" || fail "a port in use: $(cat "$work/err")"
kill "$holder"
usage_error "--web-config without --metrics-listen" -r "$pcap" --web-config "$work/web.yml"
printf 'tls_server_config:\n  cert_file: a.crt\n  kye_file: a.key\n' > "$work/web.yml"
usage_error "a web config with an unknown key" -r "$pcap" --metrics-listen 127.0.0.1:0 --web-config "$work/web.yml"
grep -q "web.yml:3: unknown key kye_file in tls_server_config" "$work/err" || fail "an unknown key: $(cat "$work/err")"
usage_error "a web config that does not exist" -r "$pcap" --metrics-listen 127.0.0.1:0 --web-config "$work/none.yml"
grep -q "none.yml: cannot read the file" "$work/err" || fail "a missing web config: $(cat "$work/err")"
usage_error "--sort-by without --measure-latency" -r "$pcap" --count-requests 5 --sort-by p99
usage_error "--no-analyze without --omni" -r "$pcap" --no-analyze
usage_error "a duration in two words" -i lo --pending-after 5 minutes
grep -q "pending-after takes one word.*'minutes' was read as a filter expression" "$work/err" ||
  fail "a duration in two words: $(cat "$work/err")"
usage_error "a duration with an unknown unit" -r "$pcap" --slower-than 5mins
grep -q "not a duration: 5mins (a number and its unit, one word: " "$work/err" ||
  fail "an unknown unit: $(cat "$work/err")"
# zktraffic's modes leave pings out unless -p, as zktraffic does; -p is accepted there.
zktraffic_dump="$(dirname "$pcap")/zktraffic/dump.pcap"
"$zkdump" -q -r "$zktraffic_dump" --measure-latency 10 --group-by type > "$work/out"
grep -q "^SetDataRequest " "$work/out" && ! grep -q "^PingRequest" "$work/out" ||
  fail "--measure-latency counted pings: $(cat "$work/out")"
"$zkdump" -q -r "$zktraffic_dump" --count-requests 100 --group-by type -p > "$work/out" ||
  fail "--count-requests refused -p"
grep -q "^PingRequest " "$work/out" || fail "--count-requests -p left pings out: $(cat "$work/out")"
usage_error "-c 0" -r "$pcap" -c 0
usage_error "-v with --stats" -r "$pcap" --stats -v
usage_error "--top without a terminal" -r "$pcap" --top
usage_error "a file that does not exist" -r "$work/nonexistent.pcap"
[ "$(grep -o "nonexistent.pcap" "$work/err" | wc -l)" -eq 1 ] || fail "the missing file is named $(grep -o "nonexistent.pcap" "$work/err" | wc -l) times"

# tcpdump habits: -n and -nn change nothing (zkdump never resolves names); -D lists interfaces.
"$zkdump" -q -nn -r "$pcap" | cmp -s - "$work/plain.txt" || fail "-nn changed the output"
"$zkdump" -q -n -r "$pcap" | cmp -s - "$work/plain.txt" || fail "-n changed the output"
# Compressed captures, as files and on standard input, through zlib and liblzma.
gzip -c "$pcap" > "$work/capture.pcap.gz"
xz -c "$pcap" > "$work/capture.pcap.xz"
for compressed in "$work/capture.pcap.gz" "$work/capture.pcap.xz"; do
  "$zkdump" -q -r "$compressed" | cmp -s - "$work/plain.txt" || fail "-r $(basename "$compressed") differs"
  "$zkdump" -q -r - < "$compressed" | cmp -s - "$work/plain.txt" || fail "-r - < $(basename "$compressed") differs"
done
head -c 3000 "$work/capture.pcap.gz" > "$work/cut.pcap.gz"
"$zkdump" -q -r "$work/cut.pcap.gz" > "$work/out" 2> "$work/err"
[ $? -eq 2 ] && grep -q truncated "$work/err" || fail "a cut gzip capture: no truncation reported: $(cat "$work/err")"
printf '\xfd7zXZ\x00not xz at all' > "$work/bad.pcap.xz"
"$zkdump" -q -r "$work/bad.pcap.xz" > "$work/out" 2> "$work/err"
[ $? -eq 1 ] && grep -q "bad.pcap.xz: corrupt xz data" "$work/err" || fail "a corrupt xz file: $(cat "$work/err")"

if command -v tcpdump > /dev/null && tcpdump -D > "$work/tcpdump-D" 2> /dev/null; then
  "$zkdump" -D | cmp -s - "$work/tcpdump-D" || fail "-D does not list what tcpdump -D lists"
fi
help=$("$zkdump" --help) || fail "--help exited non-zero"
grep -q -- "--include-pings" <<< "$help" || fail "--help does not list --include-pings"

[ "$failures" -eq 0 ] || exit 1
echo "command line: all checks passed"
