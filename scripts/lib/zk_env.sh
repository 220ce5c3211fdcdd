# Helpers for scripts and tests that need a real ZooKeeper server and a capture of its traffic.
# Everything runs on 127.0.0.1; every process started here is remembered by PID and stopped by it.

ZK_JAR=${ZK_JAR:-/usr/share/java/zookeeper.jar}
ZK_PYTHON=${ZK_PYTHON:-/usr/bin/python3}  # Debian's python3, where python3-kazoo lives

# A free TCP port on 127.0.0.1.
free_port() {
  "$ZK_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_zk DIR PORT [CONFIG_LINE...]: a standalone server with its own config and data dir
# under DIR; extra zoo.cfg lines may follow, and ZK_SERVER_JVMFLAGS adds JVM options.
start_zk() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir/data"
  cat > "$dir/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
extendedTypesEnabled=true
maxClientCnxns=0
CFG
  [ $# -eq 0 ] || printf '%s\n' "$@" >> "$dir/zoo.cfg"
  # shellcheck disable=SC2086 # the flags are a list
  java ${ZK_SERVER_JVMFLAGS:-} -Dzookeeper.log.dir="$dir" -Dzookeeper.root.logger=WARN,CONSOLE \
    -cp "$ZK_JAR${ZK_EXTRA_CLASSPATH:+:$ZK_EXTRA_CLASSPATH}" org.apache.zookeeper.server.quorum.QuorumPeerMain \
    "$dir/zoo.cfg" > "$dir/server.log" 2>&1 &
  echo $! > "$dir/server.pid"
  wait_for_zk "$port"
}

wait_for_zk() {
  local port=$1
  if [ -n "${ZK_SECURE_PORT:-}" ]; then  # Netty answers no four-letter word: a TLS port accepts
    for _ in $(seq 1 150); do
      if "$ZK_PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' \
        "$ZK_SECURE_PORT" 2> /dev/null; then sleep 1; return 0; fi
      sleep 0.2
    done
    echo "ZooKeeper did not open its secure port $ZK_SECURE_PORT" >&2
    return 1
  fi
  for _ in $(seq 1 150); do
    if [ "$("$ZK_PYTHON" - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.sendall(b"ruok"); print(s.recv(4).decode())
PY
)" = imok ]; then return 0; fi
    sleep 0.2
  done
  echo "ZooKeeper did not start on port $port" >&2
  return 1
}

stop_zk() {
  local dir=$1
  if [ -f "$dir/server.pid" ]; then
    kill "$(cat "$dir/server.pid")" 2>/dev/null || true
    wait "$(cat "$dir/server.pid")" 2>/dev/null || true
    rm -f "$dir/server.pid"
  fi
}

# start_capture FILE PORT [FILTER]: tcpdump on loopback, full packets, only the ZooKeeper port
# (or FILTER).
start_capture() {
  local file=$1 port=$2 filter=${3:-tcp port $2}
  tcpdump -i lo -s 0 -B 131072 -U --immediate-mode -w "$file" "$filter" 2> "$file.tcpdump.log" &
  CAPTURE_PID=$!
  for _ in $(seq 1 50); do
    grep -q "listening on" "$file.tcpdump.log" 2>/dev/null && break
    sleep 0.1
  done
  sleep 1  # tcpdump says "listening" a moment before the first packets reach it
}

stop_capture() {
  sleep 1  # let the last packets reach the capture
  kill -INT "$CAPTURE_PID" 2>/dev/null || true
  wait "$CAPTURE_PID" 2>/dev/null || true
  # A capture that lost packets is no reference: refuse it.
  if ! grep -q "^0 packets dropped by kernel" "$1.tcpdump.log"; then
    echo "tcpdump dropped packets:" >&2
    cat "$1.tcpdump.log" >&2
    return 1
  fi
  rm -f "$1.tcpdump.log"
}

# per_connection < JSON_LINES: one connection and direction after another, without times, for
# comparing a live capture with zkdump -r on tcpdump's. Two capture sockets may see packets
# interleaved differently (each CPU hands them over on its own: other connections, or the other
# direction of the same one) and may stamp a packet a microsecond apart.
per_connection() {
  "$ZK_PYTHON" -c '
import collections, json, re, sys
lines = collections.defaultdict(list)
for line in sys.stdin:
    message = json.loads(line)
    direction = message.get("direction") or ("to_server" if message["kind"] in ("request", "unanswered") else "to_client")
    lines[(message["client"], direction)].append(re.sub(r"\"ts\":[0-9.]+,|,\"latency_us\":[0-9]+", "", line))
for key in sorted(lines):
    sys.stdout.writelines(lines[key])'
}

# wait_for_http URL [CURL_OPTION...]: up to 15 s for URL to answer 200.
wait_for_http() {
  for _ in $(seq 1 150); do
    if curl -sf -o /dev/null "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# start_prometheus DIR PORT: a real Prometheus on 127.0.0.1:PORT with DIR/prometheus.yml (checked
# by promtool first) and its data in DIR/tsdb; its PID in PROMETHEUS_PID once it is ready.
start_prometheus() {
  local dir=$1 port=$2
  promtool check config "$dir/prometheus.yml" > /dev/null
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
    --web.listen-address="127.0.0.1:$port" > "$dir/prometheus.log" 2>&1 &
  PROMETHEUS_PID=$!
  wait_for_http "http://127.0.0.1:$port/-/ready" ||
    { echo "FAIL: Prometheus did not start: $(tail "$dir/prometheus.log")" >&2; return 1; }
}
