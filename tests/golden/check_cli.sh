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
[ -z "$("$zkdump" -q -r "$pcap" --port 2182)" ] || fail "--port 2182 decoded traffic on 2181"

[ "$("$zkdump" -q -c 5 -r "$pcap" | wc -l)" -eq 5 ] || fail "-c 5 did not print 5 lines"

first_line() { "$zkdump" -q "$@" -r "$pcap" | head -n 1; }
first_line | grep -q -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}:[0-9]{6} [A-Za-z]+\(' || fail "default timestamp"
first_line -t | grep -q -E '^[A-Za-z]+\(' || fail "-t"
first_line -tt | grep -q -E '^[0-9]{10}\.[0-9]{6} [A-Za-z]+\(' || fail "-tt"
first_line -ttt | grep -q -E '^00:00:00\.000000 ' || fail "-ttt"
first_line -tttt | grep -q -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6} ' || fail "-tttt"
first_line --json | python3 -c 'import json,sys; m=json.loads(sys.stdin.read()); assert {"ts","kind","op","client","server"} <= m.keys()' ||
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

"$zkdump" --bogus-option > /dev/null 2>&1
[ $? -ne 0 ] || fail "an unknown option should fail"
help=$("$zkdump" --help) || fail "--help exited non-zero"
grep -q -- "--include-pings" <<< "$help" || fail "--help does not list --include-pings"

[ "$failures" -eq 0 ] || exit 1
echo "command line: all checks passed"
