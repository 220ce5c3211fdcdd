#!/usr/bin/env bash
# Makes the TLS benchmark's pair of captures: one ZooKeeper server (Netty) with a plain and a
# secure client port, the same pipelined kazoo workload run against each, TLS 1.3 AES-128-GCM
# with the clients' key log. Needs root.
# Usage: bench/make_tls_capture.sh [CLIENTS [REQUESTS_PER_CLIENT]]
# Writes bench/data/tls_load.pcap with tls_load.keys and tls_load.args, and
# bench/data/plain_load.pcap with plain_load.port; bench/tls_ratio compares them.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
clients=${1:-4} per_client=${2:-40000}
source "$repo/scripts/lib/zk_env.sh"
source "$repo/scripts/lib/tls_env.sh"
data=$repo/bench/data
mkdir -p "$data"
work=$(mktemp -d)
trap 'stop_zk "$work/zk"; rm -rf "$work"' EXIT
tls_ca "$work/tls"
tls_signed server "IP:127.0.0.1"
tls_signed client "DNS:client.test"
openssl pkcs12 -export -in "$work/tls/server.crt" -inkey "$work/tls/server.key" -passout pass:zkdump-bench \
  -out "$work/tls/server.p12"
keytool -importcert -noprompt -alias ca -file "$work/tls/ca.crt" -keystore "$work/tls/trust.p12" \
  -storetype PKCS12 -storepass zkdump-bench > /dev/null 2>&1
plain=$(free_port) secure=$(free_port)
ZK_SECURE_PORT=$secure ZK_EXTRA_CLASSPATH=/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar \
  start_zk "$work/zk" "$plain" "secureClientPort=$secure" \
  serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory \
  ssl.protocol=TLSv1.3 ssl.ciphersuites=TLS_AES_128_GCM_SHA256 \
  "ssl.keyStore.location=$work/tls/server.p12" ssl.keyStore.password=zkdump-bench ssl.keyStore.type=PKCS12 \
  "ssl.trustStore.location=$work/tls/trust.p12" ssl.trustStore.password=zkdump-bench ssl.trustStore.type=PKCS12
run() {  # NAME PORT KEYLOG
  start_capture "$work/$1.pcap" "$2"
  if [ -n "$3" ]; then
    "$ZK_PYTHON" "$repo/scripts/traffic/kazoo_tls.py" "$3" "$work/tls" "$repo/scripts/traffic/pipelined_load.py" \
      "127.0.0.1:$2" "$clients" "$per_client" bounded "/$1" > /dev/null
  else
    "$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$2" "$clients" "$per_client" bounded \
      "/$1" > /dev/null
  fi
  stop_capture "$work/$1.pcap"
  mv "$work/$1.pcap" "$data/$1.pcap"
  echo "bench/data/$1.pcap: $(stat -c %s "$data/$1.pcap") bytes"
}
run plain_load "$plain" ""
echo "$plain" > "$data/plain_load.port"
install -m 600 /dev/null "$data/tls_load.keys"
run tls_load "$secure" "$data/tls_load.keys"
echo "--port $secure --tls-keylog $data/tls_load.keys" > "$data/tls_load.args"
