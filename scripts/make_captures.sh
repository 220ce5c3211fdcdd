#!/usr/bin/env bash
# Regenerates every capture in pcaps/ from a real ZooKeeper server (Debian's zookeeper package)
# on 127.0.0.1 and real clients (kazoo, zkCli.sh, cli_mt, a raw socket for four-letter words),
# then their golden outputs. Needs root (tcpdump on lo).
# Usage: scripts/make_captures.sh [BUILD_DIR [NAME...]]: all captures, or only the named ones.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
[ $# -gt 0 ] && shift
wanted=("$@")
source "$repo/scripts/lib/zk_env.sh"
port=${ZK_CAPTURE_PORT:-2181}  # the default port, so the captures decode with zkdump's defaults
work=$(mktemp -d)
trap 'stop_zk "$work/zk"; rm -rf "$work"' EXIT
pcaps=$repo/pcaps
host=127.0.0.1:$port

capture() {  # capture NAME COMMAND...: runs COMMAND against a fresh server, captured to pcaps/NAME.pcap
  local name=$1; shift
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $name "* ]]; then return 0; fi
  rm -rf "$work/zk"
  start_zk "$work/zk" "$port" ${ZK_CAPTURE_CONFIG:-}
  start_capture "$work/$name.pcap" "$port"
  "$@"
  stop_capture "$work/$name.pcap"
  stop_zk "$work/zk"
  mv "$work/$name.pcap" "$pcaps/$name.pcap"
  echo "captured $name: $(stat -c %s "$pcaps/$name.pcap") bytes"
}

kazoo_all_ops() { "$ZK_PYTHON" "$repo/scripts/traffic/kazoo_all_ops.py" "$host" > "$pcaps/kazoo_all_ops.sent.json" 2> "$work/kazoo.log"; }
pipelined_load() { "$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "$host" 4 2500 > "$pcaps/pipelined_load.sent.json" 2> "$work/load.log"; }
four_letter_words() { "$ZK_PYTHON" "$repo/scripts/traffic/four_letter_words.py" "$host"; }

c_and_java_clients() {
  # cli_mt (the C client) sends each frame's length in a separate write.
  printf 'create /cmt hello\nget /cmt\nls /\nset /cmt world\nexists /cmt\ndelete /cmt\nget /nothere\nquit\n' |
    while read -r line; do echo "$line"; sleep 0.3; done |
    timeout 30 /usr/lib/zookeeper/bin/cli_mt -h "$host" > "$work/cli_mt.log" 2>&1 || true
  printf '%s\n' 'create /cli data' 'create -e /cli/eph x' 'create -t 5000 /ttlcli t' 'create -c /cont c' \
    'get -s /cli' 'ls -R /' 'getEphemerals /' 'getAllChildrenNumber /' 'addWatch -m PERSISTENT_RECURSIVE /cli' \
    'whoami' 'addauth digest bob:hunter2' 'setAcl /cli auth:bob:cdrwa' 'getAcl /cli' 'removewatches /cli' \
    'sync /cli' 'deleteall /cli' 'quit' |
    timeout 90 /usr/share/zookeeper/bin/zkCli.sh -server "$host" > "$work/zkcli.log" 2>&1
}

reconnect_after_restart() {
  # kazoo reconnects with its session id; two zkCli.sh sessions also re-register their watches
  # on the new connection, one with SetWatches (a data watch), one with SetWatches2 (persistent).
  "$ZK_PYTHON" "$repo/scripts/traffic/reconnect.py" "$host" > "$work/reconnect.out" 2> "$work/reconnect.log" &
  local client=$!
  { printf 'create /w x\nget -w /w\n'; sleep 12; printf 'get /w\nquit\n'; } |
    timeout 60 /usr/share/zookeeper/bin/zkCli.sh -server "$host" > "$work/zkcli-watch.log" 2>&1 &
  local data_watch=$!
  { sleep 1; printf 'addWatch /w\n'; sleep 11; printf 'get /w\nquit\n'; } |
    timeout 60 /usr/share/zookeeper/bin/zkCli.sh -server "$host" > "$work/zkcli-persistent.log" 2>&1 &
  local persistent_watch=$!
  for _ in $(seq 1 100); do grep -q restart-now "$work/reconnect.out" && break; sleep 0.1; done
  sleep 5  # the zkCli sessions are up and watching
  stop_zk "$work/zk"
  start_zk "$work/zk" "$port"
  wait "$client" "$data_watch" "$persistent_watch"
  grep -q '^reconnected' "$work/reconnect.out"
}

session_expiry() {
  "$ZK_PYTHON" "$repo/scripts/traffic/session_expiry.py" "$host" > "$work/expiry.out" 2> "$work/expiry.log"
  grep -q 'expired: True; lock gone' "$work/expiry.out"
}

watch_storms() { "$ZK_PYTHON" "$repo/scripts/traffic/watch_storms.py" "$host" > "$work/storms.out" 2> "$work/storms.log"; }
silent_session() {
  "$ZK_PYTHON" "$repo/scripts/traffic/silent_session.py" "$host" > "$work/silent.out" 2> "$work/silent.log"
  grep -q 'stopped; its ephemeral gone' "$work/silent.out"
}
oversized_write() {
  "$ZK_PYTHON" "$repo/scripts/traffic/oversized_write.py" "$host" > "$work/oversized.out" 2> "$work/oversized.log"
  grep -q 'created after reconnect: False' "$work/oversized.out"
}

tls_clients() {
  # A TLS client on the plain port, as a client configured for the secure port would be: openssl
  # offers TLS 1.3 with a server name and ALPN, then TLS 1.2 only; the server drops both.
  local tls_host=${host%:*} tls_port=${host##*:}
  timeout 10 openssl s_client -connect "$tls_host:$tls_port" -servername zk1.example.test \
    -alpn h2,http/1.1 < /dev/null > "$work/tls13.log" 2>&1 || true
  timeout 10 openssl s_client -connect "$tls_host:$tls_port" -servername zk2.example.test \
    -tls1_2 < /dev/null > "$work/tls12.log" 2>&1 || true
}

sasl_clients() {
  # Two zkCli.sh sessions authenticate with SASL DIGEST-MD5: the first with the right password,
  # the second with a wrong one (AuthFailed, -115). The first idles long enough to ping.
  local jaas=$work/jaas
  mkdir -p "$jaas"
  printf 'Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="bob"\n  password="%s";\n};\n' \
    bobsecret > "$jaas/good.conf"
  printf 'Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="bob"\n  password="%s";\n};\n' \
    wrong > "$jaas/bad.conf"
  { printf 'create /sasl x\ngetAcl /sasl\nwhoami\n'; sleep 4; printf 'quit\n'; } |
    CLIENT_JVMFLAGS="-Djava.security.auth.login.config=$jaas/good.conf" \
    timeout 60 /usr/share/zookeeper/bin/zkCli.sh -timeout 4000 -server "$host" > "$work/sasl-good.log" 2>&1
  printf 'ls /\nquit\n' |
    CLIENT_JVMFLAGS="-Djava.security.auth.login.config=$jaas/bad.conf" \
    timeout 60 /usr/share/zookeeper/bin/zkCli.sh -server "$host" > "$work/sasl-bad.log" 2>&1 || true
}

capture kazoo_all_ops kazoo_all_ops
capture clients_c_and_java c_and_java_clients
capture four_letter_words four_letter_words
capture reconnect reconnect_after_restart
capture pipelined_load pipelined_load
capture session_expiry session_expiry
capture tls_clients tls_clients
capture watch_storms watch_storms
capture silent_session silent_session
capture oversized_write oversized_write
# A server that accepts SASL DIGEST-MD5 for user bob.
mkdir -p "$work/jaas"
printf 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_bob="bobsecret";\n};\n' \
  > "$work/jaas/server.conf"
ZK_SERVER_JVMFLAGS="-Djava.security.auth.login.config=$work/jaas/server.conf" \
  ZK_CAPTURE_CONFIG=authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider \
  capture sasl sasl_clients
"$repo/scripts/update_goldens.sh" "$build"
