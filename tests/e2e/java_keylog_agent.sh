#!/usr/bin/env bash
# End to end for the Java key-log agent (scripts/traffic/keylog_agent), live: ZooKeeper on its
# secure client port with the agent loaded, so the server writes the key log; kazoo clients over
# TLS 1.3 and TLS 1.2 that log nothing themselves; zkdump capturing on lo and following the key
# log as the agent appends to it. Asserts that both connections decrypt with the server's secrets
# alone (TLS 1.3 traffic secrets and a TLS 1.2 CLIENT_RANDOM master secret), that each client's
# requests decode, and that no secret is printed. Builds the agent with a JDK and libasm-java
# (scripts/debian-packages.txt).
# usage: java_keylog_agent.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
source "$repo/scripts/lib/tls_env.sh"
work=$(mktemp -d)
zkdump_pid=
cleanup() {
  [ -z "$zkdump_pid" ] || kill "$zkdump_pid" 2>/dev/null || true
  [ ! -f "$work/zk/server.pid" ] || stop_zk "$work/zk"
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v javac > /dev/null && [ -f /usr/share/java/asm.jar ] ||
  fail "building the agent needs javac (default-jdk-headless) and libasm-java"

java_keylog_agent "$work/agent" > /dev/null
tls_ca "$work/tls"
tls_signed server "IP:127.0.0.1"
tls_signed client "DNS:client.test"
password=zkdump-test
openssl pkcs12 -export -in "$work/tls/server.crt" -inkey "$work/tls/server.key" \
  -passout "pass:$password" -out "$work/tls/server.p12"
keytool -importcert -noprompt -alias ca -file "$work/tls/ca.crt" -keystore "$work/tls/trust.p12" \
  -storetype PKCS12 -storepass "$password" > /dev/null 2>&1

keylog=$work/server.keys
install -m 600 /dev/null "$keylog"
secure=$(free_port)
"$zkdump" -i lo --port "$secure" --tls-keylog "$keylog" --json -l > "$work/live.json" 2> "$work/live.err" &
zkdump_pid=$!
# ZooKeeper's default suites are TLS 1.2's only; Debian leaves Netty's codec off its classpath.
suites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
ZK_SECURE_PORT=$secure ZK_EXTRA_CLASSPATH=/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar \
  ZK_SERVER_JVMFLAGS="-javaagent:$work/agent/keylog-agent.jar=$keylog" \
  start_zk "$work/zk" "$(free_port)" "secureClientPort=$secure" \
  serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory \
  ssl.protocol=TLSv1.3 ssl.enabledProtocols=TLSv1.3,TLSv1.2 "ssl.ciphersuites=$suites" \
  "ssl.keyStore.location=$work/tls/server.p12" "ssl.keyStore.password=$password" \
  ssl.keyStore.type=PKCS12 "ssl.trustStore.location=$work/tls/trust.p12" \
  "ssl.trustStore.password=$password" ssl.trustStore.type=PKCS12

load() {  # ROOT [ENV...]: one kazoo client over TLS, 20 requests under ROOT, no key log of its own
  local root=$1
  shift
  env "$@" "$ZK_PYTHON" "$repo/scripts/traffic/kazoo_tls.py" "" "$work/tls" \
    "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$secure" 1 20 growing "$root" \
    > "$work/${root#/}.json" 2> "$work/${root#/}.log" ||
    fail "the client under $root failed: $(tail -5 "$work/${root#/}.log")"
}
load /tls13
load /tls12 KAZOO_TLS_MAX=1.2
sleep 1
kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
[ "$status" -eq 0 ] || fail "zkdump exited $status after SIGINT: $(cat "$work/live.err")"

grep -q '^CLIENT_HANDSHAKE_TRAFFIC_SECRET ' "$keylog" || fail "the agent logged no TLS 1.3 secret"
grep -q '^CLIENT_RANDOM ' "$keylog" || fail "the agent logged no TLS 1.2 master secret"
if grep -q -F -f <(awk '{print $3}' "$keylog") "$work/live.json" "$work/live.err"; then
  fail "a secret of the key log was printed"
fi
"$ZK_PYTHON" - "$work/live.json" "$work/tls13.json" "$work/tls12.json" <<'PY' || fail "live lines: $(head -c 3000 "$work/live.json")"
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
sessions = [l for l in lines if l["kind"] == "tls" and l["name"] == "Session"]
assert {s["tls_version"] for s in sessions} == {"TLS1.2", "TLS1.3"}, sessions
assert all(s["decrypted"] for s in sessions), sessions
sent = sum(json.load(open(summary))["total"] for summary in sys.argv[2:])
requests = [l for l in lines if l["kind"] == "request" and l.get("tls") and l["op"] != "ping"]
assert len(requests) == sent, (len(requests), sent)
for root in ("/tls13/", "/tls12/"):
    assert any(l.get("path", "").startswith(root) for l in requests), root
print("agent: %d sessions, %d requests decrypted with the server's secrets" % (len(sessions), sent))
PY
echo "PASS: the agent's key log decrypts TLS 1.3 and TLS 1.2 live"
