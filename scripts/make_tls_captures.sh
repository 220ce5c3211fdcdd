#!/usr/bin/env bash
# Captures TLS traffic of real servers with the clients' key logs, then the goldens. Needs root
# (tcpdump on lo). Usage: scripts/make_tls_captures.sh [BUILD_DIR] [NAME...]
#   zk_tls    ZooKeeper 3.8 on its secure client port 2281 (Netty, PKCS12 keystore and truststore
#             made with openssl and keytool, client certificates required): kazoo_all_ops.py over
#             TLS 1.3 (AES-256-GCM), a short load over TLS 1.2 with ChaCha20-Poly1305, both
#             logging their secrets as Python's keylog_filename does, and one kazoo client that
#             logs none.
#   etcd_tls  etcd with --cert-file --key-file --trusted-ca-file --client-cert-auth on 2379: curl
#             with SSLKEYLOGFILE calling the JSON gateway (twice, the second connection resuming
#             the first's session) and gRPC unary calls over HTTP/2 (bodies from protoc --encode)
#             over TLS 1.3 (AES-GCM, ChaCha20) and TLS 1.2 (AES-GCM, ChaCha20); and an etcdctl
#             connection, whose secrets nobody logs.
#   zab_tls   a 3-server ensemble with sslQuorum=true (JSSE, client certificates required
#             between servers; server 1 TLS 1.2 only, so its connections are TLS 1.2 and the
#             others TLS 1.3) under scripts/traffic/quorum_workload.py, the workload of
#             pcaps/quorum_workload.pcap (the clients stay plaintext). Each server runs
#             scripts/traffic/keylog_agent, which logs JSSE's secrets (needs a JDK and
#             libasm-java). Writes pcaps/zab_tls.sent.json too.
# Each capture's key log is pcaps/NAME.keys, named in pcaps/NAME.args.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(zk_tls etcd_tls zab_tls)
source "$repo/scripts/lib/zk_env.sh"
source "$repo/scripts/lib/tls_env.sh"
source "$repo/scripts/lib/quorum_env.sh"
work=$(mktemp -d)
pids=()
cleanup() {
  [ -z "${CAPTURE_PID:-}" ] || kill "$CAPTURE_PID" 2>/dev/null || true
  stop_zk "$work/zk"
  QUORUM_WORK=$work/quorum stop_servers
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
pcaps=$repo/pcaps
password=zkdump-test
# Debian's zookeeper package leaves Netty's codec off its classpath; ZooKeeper's TLS needs it.
netty_jars=/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar

tls_ca "$work/tls"
tls_signed server "IP:127.0.0.1,DNS:localhost"
tls_signed client "DNS:client.test"

finish() {  # NAME PORT_OPTION PORT: the capture, its key log and its options into pcaps/
  stop_capture "$work/$1.pcap"
  mv "$work/$1.pcap" "$pcaps/$1.pcap"
  grep -v '^#' "$work/$1.keys" > "$pcaps/$1.keys"
  chmod 600 "$pcaps/$1.keys"
  echo "$2 $3 --tls-keylog pcaps/$1.keys" > "$pcaps/$1.args"
  echo "captured $1: $(stat -c %s "$pcaps/$1.pcap") bytes, $(grep -c . "$pcaps/$1.keys") secrets"
}

java_stores() {  # the server's key and certificate, and the CA, as Java reads them (PKCS12)
  [ ! -f "$work/tls/trust.p12" ] || return 0
  openssl pkcs12 -export -in "$work/tls/server.crt" -inkey "$work/tls/server.key" \
    -passout "pass:$password" -out "$work/tls/server.p12"
  keytool -importcert -noprompt -alias ca -file "$work/tls/ca.crt" -keystore "$work/tls/trust.p12" \
    -storetype PKCS12 -storepass "$password" > /dev/null 2>&1
}

capture_zk_tls() {
  java_stores
  # ZooKeeper's default suites are TLS 1.2's only: TLS 1.3's must be named to be negotiated.
  local suites=TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256
  suites+=,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
  ZK_SECURE_PORT=2281 ZK_EXTRA_CLASSPATH=$netty_jars \
    start_zk "$work/zk" "$(free_port)" secureClientPort=2281 \
    serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory \
    ssl.protocol=TLSv1.3 ssl.enabledProtocols=TLSv1.3,TLSv1.2 "ssl.ciphersuites=$suites" \
    "ssl.keyStore.location=$work/tls/server.p12" "ssl.keyStore.password=$password" \
    ssl.keyStore.type=PKCS12 "ssl.trustStore.location=$work/tls/trust.p12" \
    "ssl.trustStore.password=$password" ssl.trustStore.type=PKCS12
  start_capture "$work/zk_tls.pcap" 2281
  local keys=$work/zk_tls.keys host=127.0.0.1:2281
  "$ZK_PYTHON" "$repo/scripts/traffic/kazoo_tls.py" "$keys" "$work/tls" \
    "$repo/scripts/traffic/kazoo_all_ops.py" "$host" > "$work/sent.json" 2> "$work/kazoo.log"
  KAZOO_TLS_MAX=1.2 KAZOO_TLS_CIPHERS=ECDHE-ECDSA-CHACHA20-POLY1305 \
    "$ZK_PYTHON" "$repo/scripts/traffic/kazoo_tls.py" "$keys" "$work/tls" \
    "$repo/scripts/traffic/pipelined_load.py" "$host" 1 40 growing /chacha > /dev/null 2> "$work/load.log"
  "$ZK_PYTHON" "$repo/scripts/traffic/kazoo_tls.py" "" "$work/tls" \
    "$repo/scripts/traffic/pipelined_load.py" "$host" 1 10 growing /unlogged > /dev/null 2> "$work/unlogged.log" ||
    { tail -5 "$work/unlogged.log" >&2; exit 1; }
  finish zk_tls --port 2281
  stop_zk "$work/zk"
}

grpc_body() {  # TYPE TEXT: a gRPC message (uncompressed) holding TYPE encoded from TEXT
  local gocode=/usr/share/gocode/src
  printf '%s' "$2" | protoc --encode="$1" -I "$gocode/go.etcd.io" -I "$gocode/github.com/gogo/protobuf" \
    -I /usr/include -I "$gocode/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis" \
    etcd/etcdserver/etcdserverpb/rpc.proto > "$work/message.bin"
  python3 -c 'import struct, sys; m = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(b"\0" + struct.pack(">I", len(m)) + m)' \
    "$work/message.bin"
}

capture_etcd_tls() {
  local port=2379 keys=$work/etcd_tls.keys url=https://127.0.0.1:2379
  local cert=(--cacert "$work/tls/ca.crt" --cert "$work/tls/client.crt" --key "$work/tls/client.key")
  start_capture "$work/etcd_tls.pcap" "$port"
  etcd --name zkdump --data-dir "$work/etcd" --listen-client-urls "$url" --advertise-client-urls "$url" \
    --cert-file "$work/tls/server.crt" --key-file "$work/tls/server.key" \
    --trusted-ca-file "$work/tls/ca.crt" --client-cert-auth \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster zkdump=http://127.0.0.1:2380 > "$work/etcd.log" 2>&1 &
  pids+=($!)
  local etcdctl=(etcdctl --endpoints="$url" --cacert "$work/tls/ca.crt" --cert "$work/tls/client.crt"
    --key "$work/tls/client.key")
  for _ in $(seq 1 100); do "${etcdctl[@]}" endpoint health > /dev/null 2>&1 && break; sleep 0.1; done
  # The JSON gateway over HTTP/1.1, twice: the second connection resumes the first's session.
  SSLKEYLOGFILE=$keys curl -sf --http1.1 "${cert[@]}" -H 'Connection: close' -X POST \
    "$url/v3/kv/put" -d '{"key": "L3Rscy9h", "value": "b25l"}' -o "$work/put.out" \
    --next --http1.1 "${cert[@]}" -X POST "$url/v3/kv/range" -d '{"key": "L3Rscy9h"}' \
    -o "$work/range.out"
  grpc_body etcdserverpb.PutRequest 'key: "/tls/b" value: "two"' > "$work/put.grpc"
  grpc_body etcdserverpb.RangeRequest 'key: "/tls/" range_end: "/tls0"' > "$work/range.grpc"
  local grpc=(-sf --http2 "${cert[@]}" -H 'content-type: application/grpc' -H 'te: trailers'
    -o /dev/null)
  SSLKEYLOGFILE=$keys curl "${grpc[@]}" --data-binary @"$work/put.grpc" "$url/etcdserverpb.KV/Put"
  SSLKEYLOGFILE=$keys curl "${grpc[@]}" --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 \
    --data-binary @"$work/range.grpc" "$url/etcdserverpb.KV/Range"
  SSLKEYLOGFILE=$keys curl "${grpc[@]}" --tls-max 1.2 --data-binary @"$work/range.grpc" \
    "$url/etcdserverpb.KV/Range"
  SSLKEYLOGFILE=$keys curl "${grpc[@]}" --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 \
    --data-binary @"$work/put.grpc" "$url/etcdserverpb.KV/Put"
  "${etcdctl[@]}" get --prefix /tls/ > "$work/etcdctl.out"
  grep -q two "$work/etcdctl.out" || { echo "the gRPC put did not land" >&2; exit 1; }
  grep -q '"kvs"' "$work/range.out" || { echo "the JSON gateway answered nothing" >&2; exit 1; }
  finish etcd_tls --etcd-port "$port"
  # shellcheck disable=SC2046 # etcd's pid
  kill "${pids[-1]}"
}

capture_zab_tls() {
  java_stores
  java_keylog_agent "$work/agent"
  local keys=$work/zab_tls.keys sid leader followers=() tls
  # Without Netty's codec, the TLS election listener (UnifiedServerSocket) quits on its first peer.
  local QUORUM_WORK=$work/quorum QUORUM_CONFIG_EXTRA ZK_EXTRA_CLASSPATH=$netty_jars
  tls=$(printf '%s\n' sslQuorum=true ssl.quorum.hostnameVerification=false \
    "ssl.quorum.keyStore.location=$work/tls/server.p12" "ssl.quorum.keyStore.password=$password" \
    ssl.quorum.keyStore.type=PKCS12 "ssl.quorum.trustStore.location=$work/tls/trust.p12" \
    "ssl.quorum.trustStore.password=$password" ssl.quorum.trustStore.type=PKCS12 \
    ssl.quorum.ciphersuites=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)
  start_capture "$work/zab_tls.pcap" 0 "$QUORUM_CAPTURE_FILTER"
  # Server 1 speaks TLS 1.2 only (ZooKeeper 3.8's default), the others TLS 1.3 as well: every
  # connection of server 1's is TLS 1.2, the one between 2 and 3 TLS 1.3.
  local protocol protocols
  for sid in 1 2 3; do
    protocol=TLSv1.3 protocols=TLSv1.2,TLSv1.3
    [ "$sid" != 1 ] || protocol=TLSv1.2 protocols=TLSv1.2
    QUORUM_CONFIG_EXTRA=$(printf '%s\n' "$tls" "ssl.quorum.protocol=$protocol" \
      "ssl.quorum.enabledProtocols=$protocols")
    start_server "$sid" "-javaagent:$work/agent/keylog-agent.jar=$keys"
  done
  leader=$(wait_for_leader 1 2 3)
  for sid in 1 2 3; do [ "$sid" = "$leader" ] || followers+=("$sid"); done
  "$ZK_PYTHON" "$repo/scripts/traffic/quorum_workload.py" "$leader" "${followers[@]}" \
    "$(cat "$QUORUM_WORK/s${followers[0]}/server.pid")" > "$work/workload.json" 2> "$work/workload.log" ||
    { cat "$work/workload.log" >&2; exit 1; }
  sleep 2  # pings between the leader and its followers
  mv "$work/workload.json" "$pcaps/zab_tls.sent.json"
  finish zab_tls --omni "--election-port 3891 --election-port 3892 --election-port 3893 --watch-storm 40"
  stop_servers
}

for name in "${names[@]}"; do "capture_$name"; done
"$repo/scripts/update_goldens.sh" "$build"
