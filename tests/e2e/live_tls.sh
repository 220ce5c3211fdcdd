#!/usr/bin/env bash
# End to end for TLS decryption live: a real etcd with mutual TLS on 127.0.0.1, zkdump capturing
# on lo with --tls-keylog next to tcpdump. A Python client logs its secrets to a file of its own,
# sends a request through the JSON gateway, and only then are its secrets appended to the key log
# zkdump follows; it sends a second request on the same connection. etcdctl's connection logs no
# secrets. Asserts that zkdump held the first request until its keys came and decoded both, that
# etcdctl's connection is reported undecryptable (no_key), that the key log was never printed,
# and that `zkdump -r` on tcpdump's capture with the same key log gives the same lines.
# usage: live_tls.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
source "$repo/scripts/lib/tls_env.sh"
work=$(mktemp -d)
zkdump_pid= etcd_pid= client_pid=
cleanup() {
  for pid in $zkdump_pid $client_pid $etcd_pid ${CAPTURE_PID:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

tls_ca "$work/tls"
tls_signed server "IP:127.0.0.1"
tls_signed client "DNS:client.test"
port=$(free_port) peer=$(free_port)
url=https://127.0.0.1:$port
etcd --name live --data-dir "$work/data" --listen-client-urls "$url" --advertise-client-urls "$url" \
  --cert-file "$work/tls/server.crt" --key-file "$work/tls/server.key" \
  --trusted-ca-file "$work/tls/ca.crt" --client-cert-auth --listen-peer-urls "http://127.0.0.1:$peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer" --initial-cluster "live=http://127.0.0.1:$peer" \
  > "$work/etcd.log" 2>&1 &
etcd_pid=$!
etcdctl=(etcdctl --endpoints="$url" --cacert "$work/tls/ca.crt" --cert "$work/tls/client.crt"
  --key "$work/tls/client.key")
for _ in $(seq 1 100); do "${etcdctl[@]}" endpoint health > /dev/null 2>&1 && break; sleep 0.1; done

keylog=$work/keys.log
install -m 600 /dev/null "$keylog"
"$zkdump" -i lo --etcd-port "$port" --tls-keylog "$keylog" --json -l > "$work/live.json" 2> "$work/live.err" &
zkdump_pid=$!
start_capture "$work/tcpdump.pcap" "$port"

"$ZK_PYTHON" - "$port" "$work/tls" "$work/client.keys" > "$work/client.out" 2>&1 <<'PY' &
import http.client, ssl, sys, time
port, tls, keys = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.create_default_context(cafile=tls + "/ca.crt")
context.load_cert_chain(tls + "/client.crt", tls + "/client.key")
context.keylog_filename = keys
connection = http.client.HTTPSConnection("127.0.0.1", port, context=context)
connection.request("POST", "/v3/kv/put", body='{"key": "L2xpdmUvYQ==", "value": "MQ=="}')
print("first", connection.getresponse().read().decode(), flush=True)
time.sleep(2)  # meanwhile its secrets reach zkdump's key log
connection.request("POST", "/v3/kv/range", body='{"key": "L2xpdmUvYQ=="}')
print("second", connection.getresponse().read().decode(), flush=True)
connection.close()
PY
client_pid=$!
for _ in $(seq 1 100); do grep -q '^first' "$work/client.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^first' "$work/client.out" || fail "the client's first request failed: $(cat "$work/client.out")"
sleep 0.5  # zkdump has seen the first exchange and holds it
cat "$work/client.keys" >> "$keylog"
wait "$client_pid" || fail "the client failed: $(cat "$work/client.out")"
client_pid=
"${etcdctl[@]}" get /live/a > /dev/null
sleep 1
kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
stop_capture "$work/tcpdump.pcap"

[ "$status" -eq 0 ] || fail "zkdump exited $status after SIGINT: $(cat "$work/live.err")"
if grep -q -F -f <(awk '{print $3}' "$keylog") "$work/live.json" "$work/live.err"; then
  fail "a secret of the key log was printed"
fi
"$ZK_PYTHON" - "$work/live.json" <<'PY' || fail "live lines: $(cat "$work/live.json")"
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
sessions = [l for l in lines if l["kind"] == "tls" and l["name"] == "Session"]
decrypted = [s for s in sessions if s["decrypted"]]
refused = [s for s in sessions if not s["decrypted"]]
assert len(decrypted) == 1, sessions
assert refused and all(s["reason"] == "no_key" for s in refused), sessions
requests = [l["http_line"] for l in lines if l["kind"] == "request" and l.get("tls")]
assert requests == ["POST /v3/kv/put HTTP/1.1", "POST /v3/kv/range HTTP/1.1"], requests
print("live: %d TLS connections, 1 decrypted after its keys came, %d requests" % (len(sessions), len(requests)))
PY
"$zkdump" -q --etcd-port "$port" --tls-keylog "$keylog" --json -r "$work/tcpdump.pcap" > "$work/offline.json"
same() { "$ZK_PYTHON" -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message["kind"] != "server":
        message.pop("ts")
        print(json.dumps(message, sort_keys=True))' | sort; }
diff <(same < "$work/live.json") <(same < "$work/offline.json") > "$work/diff" ||
  fail "live and offline lines differ: $(head -20 "$work/diff")"
echo "PASS: held until its keys came, decrypted live as from the file"
